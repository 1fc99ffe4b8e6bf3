import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AccessUnit, MediaParams } from '../../../src/media/codec/types';
import { TsMuxer } from '../../../src/media/out/hls/ts-muxer';
import { TsDemuxer } from '../../../src/media/playback/ts-demuxer';
import { scanTs } from '../../../src/media/record/ts-scan';
import { mutate, randomBytes, randomInt, seededRandom } from '../../helpers/random';
import { hasFfmpeg } from '../helpers/media-files';
import { cameraStream, recordSegments, type RecordedStream } from './helpers';

interface Demuxed {
  frames: AccessUnit[];
  params: MediaParams[];
  demuxer: TsDemuxer;
}

/** Demuxes `ts` fed in chunks of the given sizes (cycled), then flushes. */
function demux(ts: Buffer, chunkSizes: readonly number[] = [ts.length], streams?: Parameters<typeof scanTs>[1]): Demuxed {
  const frames: AccessUnit[] = [];
  const params: MediaParams[] = [];
  const demuxer = new TsDemuxer({ onFrame: (au) => frames.push(au), onParams: (p) => params.push(p), streams: streams ?? null });
  for (let at = 0, i = 0; at < ts.length; i++) {
    const n = Math.max(1, chunkSizes[i % chunkSizes.length] ?? 1);
    demuxer.push(ts.subarray(at, at + n));
    at += n;
  }
  demuxer.flush();
  return { frames, params, demuxer };
}

function muxAll(units: readonly AccessUnit[], codec: 'h264' | 'h265', audio: boolean): Buffer {
  const muxer = new TsMuxer({ video: codec, ...(audio ? { audio: 'aac' as const } : {}) });
  return Buffer.concat(units.map((au) => muxer.mux(au)).filter((b): b is Buffer => b !== null));
}

describe('TsDemuxer', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp: string;
  let h264: RecordedStream;
  let h264File: Buffer;
  let h265: RecordedStream;
  let h265File: Buffer;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-ts-demux-'));
    h264 = cameraStream('h264', 8, true);
    h265 = cameraStream('h265', 4, false);
    h264File = readFileSync((await recordSegments(join(tmp, 'h264'), h264))[0]!.path);
    h265File = readFileSync((await recordSegments(join(tmp, 'h265'), h265))[0]!.path);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('a recorded H.264 + AAC segment gives back every access unit as it went in, with key frames and parameters', () => {
    const { frames, params, demuxer } = demux(h264File);
    const input = h264.units.filter((u) => u.pts < 90000 + 4 * 90000);
    assert.equal(frames.length, input.length);
    frames.forEach((f, i) => {
      const u = input[i]!;
      assert.equal(f.kind, u.kind);
      assert.equal(f.pts, u.pts);
      assert.equal(f.dts, u.dts);
      assert.equal(f.keyframe, u.keyframe, `frame ${i} key flag`);
      // The AUD the TS muxer added is gone again: the bytes are the camera's.
      assert.ok(f.data.equals(u.data), `frame ${i} bytes`);
    });
    assert.equal(frames.filter((f) => f.kind === 'video' && f.keyframe).length, 4);
    const video = params.find((p) => p.kind === 'video');
    assert.equal(video?.kind === 'video' && `${video.codec} ${video.width}x${video.height}`, 'h264 640x360');
    const audio = params.find((p) => p.kind === 'audio');
    assert.equal(audio?.kind === 'audio' && `${audio.codec} ${audio.sampleRate} ${audio.channels} ${audio.aacConfig?.toString('hex')}`, 'aac 8000 1 1588');
    assert.equal(demuxer.paramsComplete, true);
    assert.deepEqual({ resyncs: demuxer.stats.resyncs, dropped: demuxer.stats.pesDropped, cc: demuxer.stats.continuityErrors }, { resyncs: 0, dropped: 0, cc: 0 });
  });

  test('the nal units of a video access unit are views of its data without start codes', () => {
    const key = demux(h264File).frames.find((f) => f.kind === 'video' && f.keyframe)!;
    const types = key.nalUnits!.map((n) => n[0]! & 0x1f);
    assert.ok(types.includes(7) && types.includes(8) && types.includes(5), `NAL types ${types.join(',')}`);
    assert.ok(!types.includes(9), 'no AUD');
  });

  test('an H.265 segment: IRAP pictures are key frames, VPS/SPS/PPS make the parameters', () => {
    const { frames, params } = demux(h265File);
    assert.equal(frames.length, 100);
    assert.ok(frames.every((f) => f.codec === 'h265'));
    assert.deepEqual(
      frames.map((f) => f.keyframe),
      h265.units.slice(0, 100).map((u) => u.keyframe),
    );
    assert.equal(frames[0]!.keyframe, true);
    const video = params[0];
    assert.ok(video?.kind === 'video' && video.codec === 'h265' && video.vps !== undefined && video.width === 640 && video.height === 360);
  });

  test('the output does not depend on how the input is chunked', () => {
    const whole = demux(h264File).frames;
    const rand = seededRandom(7);
    for (const sizes of [[1], [187], [188], [189, 5, 4000], [65536], Array.from({ length: 50 }, () => randomInt(rand, 1, 3000))]) {
      const got = demux(h264File, sizes).frames;
      assert.equal(got.length, whole.length, `chunks ${sizes.slice(0, 3).join(',')}`);
      got.forEach((f, i) => assert.ok(f.pts === whole[i]!.pts && f.data.equals(whole[i]!.data)));
    }
  });

  test('timestamps continue across the 33-bit PTS wrap', () => {
    const stream = cameraStream('h264', 3, true, 2 ** 33 - 90000);
    const wrapped = stream.units.map((u) => ({ ...u, pts: u.pts % 2 ** 33, dts: u.dts % 2 ** 33 }));
    const { frames } = demux(muxAll(wrapped, 'h264', true));
    assert.equal(frames.length, stream.units.length);
    frames.forEach((f, i) => assert.equal(f.pts, stream.units[i]!.pts));
  });

  test('reading from a key frame in the middle works with the streams from a scan of the start', () => {
    const scan = scanTs(h264File);
    const second = scan.pesStarts.filter((p) => p.pid === 0x100 && p.randomAccess)[1]!;
    const { frames } = demux(h264File.subarray(second.offset), [4096], scan.streams);
    assert.equal(frames[0]?.kind, 'video');
    assert.equal(frames[0]?.keyframe, true);
    assert.equal(frames[0]?.pts, second.pts);
    assert.equal(frames.filter((f) => f.kind === 'video').length, 75);
  });

  test('garbage between packets costs a resync and the frames it touched, then demuxing goes on', () => {
    const cut = 188 * 100 + 50;
    const damaged = Buffer.concat([h264File.subarray(0, cut), randomBytes(seededRandom(3), 1000), h264File.subarray(188 * 103)]);
    const { frames, demuxer } = demux(damaged, [5000]);
    assert.equal(demuxer.stats.resyncs, 1);
    assert.ok(demuxer.stats.bytesSkipped > 0);
    const clean = demux(h264File).frames.length;
    assert.ok(frames.length >= clean - 4 && frames.length < clean, `${frames.length} of ${clean}`);
    assert.equal(frames.at(-1)?.pts, demux(h264File).frames.at(-1)?.pts, 'the end is read');
  });

  test('a torn tail drops only the last, incomplete frame', () => {
    const clean = demux(h264File).frames;
    const lastVideo = scanTs(h264File).pesStarts.filter((p) => p.pid === 0x100).at(-1)!;
    const { frames, demuxer } = demux(h264File.subarray(0, lastVideo.offset + 188 + 100));
    assert.equal(frames.filter((f) => f.kind === 'video').length, clean.filter((f) => f.kind === 'video').length - 1);
    assert.ok(demuxer.stats.pesDropped + demuxer.stats.bytesSkipped > 0);
  });

  test('fuzz: thousands of mutated, truncated and random inputs never throw and give sane units', () => {
    const rand = seededRandom(20240301);
    const sample = h264File.subarray(0, 188 * 160); // a key frame, P frames and audio
    const hevc = h265File.subarray(0, 188 * 120);
    let frames = 0;
    for (let i = 0; i < 2500; i++) {
      let input: Buffer;
      if (i % 10 === 0) input = randomBytes(rand, randomInt(rand, 0, 4000));
      else {
        input = mutate(rand, i % 3 === 0 ? hevc : sample);
        if (i % 4 === 0) input = mutate(rand, input);
      }
      const chunks = [randomInt(rand, 1, 5000), randomInt(rand, 1, 400)];
      const got = demux(input, chunks);
      frames += got.frames.length;
      for (const f of got.frames) {
        assert.ok(f.kind === 'video' || f.kind === 'audio');
        assert.ok(f.codec === 'h264' || f.codec === 'h265' || f.codec === 'aac');
        assert.ok(Number.isFinite(f.pts) && Number.isFinite(f.dts) && f.pts >= 0);
        assert.ok(Buffer.isBuffer(f.data) && f.data.length > 0);
      }
      const s = got.demuxer.stats;
      assert.ok(s.bytesSkipped >= 0 && s.bytesSkipped <= s.bytesIn);
    }
    assert.ok(frames > 10000, `only ${frames} frames survived the mutations`);
  });
});
