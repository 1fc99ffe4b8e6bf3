import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TsMuxer } from '../../../src/media/out/hls/ts-muxer';
import { pesPayloadAt, ptsDelta, scanTs } from '../../../src/media/record/ts-scan';
import { mutate, randomBytes, randomInt, seededRandom } from '../../helpers/random';
import { hasFfmpeg } from '../helpers/media-files';
import { FIRST_PTS, liveStream } from './helpers';

describe('the recorder TS scanner', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  const stream = liveStream(4, true);
  const muxer = new TsMuxer({ video: 'h264', audio: 'aac' });
  const ts = Buffer.concat(stream.units.map((au) => muxer.mux(au)).filter((b): b is Buffer => b !== null));
  const video = stream.units.filter((u) => u.kind === 'video');

  test('finds the program, every video PES with its PTS, and the key frames', () => {
    const scan = scanTs(ts);
    assert.equal(scan.validLength, ts.length);
    assert.deepEqual(scan.streams, [
      { streamType: 0x1b, pid: 0x100 },
      { streamType: 0x0f, pid: 0x101 },
    ]);
    const starts = scan.pesStarts.filter((p) => p.pid === 0x100);
    assert.deepEqual(
      starts.map((p) => p.pts),
      video.map((u) => u.pts),
    );
    assert.deepEqual(
      starts.map((p) => p.randomAccess),
      video.map((u) => u.keyframe),
    );
    assert.ok(pesPayloadAt(ts, starts[0]!.offset, 0x100).includes(video[0]!.data.subarray(-64)));
    assert.equal(starts[0]!.pts, FIRST_PTS);
  });

  test('a torn tail ends the valid prefix at the last whole packet', () => {
    assert.equal(scanTs(ts.subarray(0, 188 * 40 + 77)).validLength, 188 * 40);
    const broken = Buffer.from(ts);
    broken[188 * 12] = 0;
    assert.equal(scanTs(broken).validLength, 188 * 12);
  });

  test('PTS differences survive the 33-bit wrap', () => {
    assert.equal(ptsDelta(2 ** 33 - 1800, 1800), 3600);
    assert.equal(ptsDelta(3600, 0), -3600);
  });

  test('random, mutated and truncated input never throws and gives sane offsets', () => {
    const rand = seededRandom(28181);
    for (let i = 0; i < 3000; i++) {
      const kind = i % 3;
      const input =
        kind === 0 ? randomBytes(rand, randomInt(rand, 0, 4000)) : kind === 1 ? mutate(rand, ts.subarray(0, 188 * 60)) : ts.subarray(0, randomInt(rand, 0, 188 * 80));
      const scan = scanTs(input);
      assert.equal(scan.validLength % 188, 0);
      assert.ok(scan.validLength <= input.length);
      for (const p of scan.pesStarts) {
        assert.ok(p.offset < scan.validLength && p.pts >= -1 && p.pts < 2 ** 33);
        assert.ok(Buffer.isBuffer(pesPayloadAt(input, p.offset, p.pid)));
      }
    }
  });
});
