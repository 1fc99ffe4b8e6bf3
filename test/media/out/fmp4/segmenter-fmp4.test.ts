import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit, VideoCodec } from '../../../../src/media/codec/types';
import { HlsSegmenter } from '../../../../src/media/out/hls/segmenter';
import { hasFfmpeg, probeBytes, readMedia } from '../../helpers/media-files';
import { framesOf } from '../../helpers/ps-stream';

function units(clip: string, codec: VideoCodec, firstPts: number): AccessUnit[] {
  return framesOf(readMedia(clip), codec, firstPts).map((f) => ({ kind: 'video', codec, pts: f.pts, dts: f.pts, keyframe: f.keyframe, data: f.data }));
}

function boxTypes(buf: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at);
    types.push(buf.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return types;
}

describe('HlsSegmenter with fMP4 segments', { skip: !hasFfmpeg && 'ffmpeg/ffprobe not installed' }, () => {
  test('segments are .m4s (moof + mdat) cut at key frames, listed after one EXT-X-MAP in a version 7 playlist', () => {
    const segmenter = new HlsSegmenter({ video: 'h265', container: 'fmp4', targetDuration: 1 });
    for (const au of units('hls-h265-640x360-6s.hevc', 'h265', 900_000).slice(0, 100)) segmenter.push(au);
    segmenter.end();
    const text = segmenter.playlist();
    assert.ok(text.includes('#EXT-X-VERSION:7'));
    assert.equal(text.split('#EXT-X-MAP:URI="init.mp4"').length, 2, text);
    const names = segmenter.segments().map((s) => s.name);
    assert.deepEqual(names, ['segment-0.m4s', 'segment-1.m4s', 'segment-2.m4s', 'segment-3.m4s']);
    for (const s of segmenter.segments()) {
      assert.deepEqual(boxTypes(s.data), ['moof', 'mdat']);
      assert.equal(s.duration, 1);
    }
    const init = segmenter.segment('init.mp4');
    assert.ok(init);
    assert.deepEqual(boxTypes(init), ['ftyp', 'moov']);
    const whole = Buffer.concat([init, ...segmenter.segments().map((s) => s.data)]);
    const [stream] = probeBytes('segmenter-fmp4.mp4', whole);
    assert.equal(stream?.codec_name, 'hevc');
    assert.equal(stream?.nb_read_frames, '100');
  });

  test('a new resolution after a discontinuity gets a new init segment and a second EXT-X-MAP', () => {
    const segmenter = new HlsSegmenter({ video: 'h265', container: 'fmp4', targetDuration: 1 });
    for (const au of units('h265-640x360.hevc', 'h265', 900_000).slice(0, 25)) segmenter.push(au);
    // The camera restarts at a lower resolution with timestamps from zero.
    for (const au of units('h265-320x240.hevc', 'h265', 0).slice(0, 25)) segmenter.push(au);
    segmenter.end();
    const text = segmenter.playlist();
    const expected = ['#EXT-X-MAP:URI="init.mp4"', 'segment-0.m4s', '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="init-1.mp4"', 'segment-1.m4s'];
    assert.deepEqual(text.split('\n').filter((l) => expected.includes(l)), expected, text);
    const [small] = probeBytes('segmenter-fmp4-small.mp4', Buffer.concat([segmenter.segment('init-1.mp4') ?? Buffer.alloc(0), segmenter.segment('segment-1.m4s') ?? Buffer.alloc(0)]));
    assert.equal(small?.width, 320);
    assert.equal(small?.nb_read_frames, '25');
  });

  test('the default stays MPEG-TS with a version 3 playlist and no EXT-X-MAP', () => {
    const segmenter = new HlsSegmenter({ video: 'h264', targetDuration: 1 });
    for (const au of units('h264-320x240.h264', 'h264', 900_000)) segmenter.push(au);
    segmenter.end();
    const text = segmenter.playlist();
    assert.ok(text.includes('#EXT-X-VERSION:3') && !text.includes('EXT-X-MAP'), text);
    assert.equal(segmenter.segments()[0]?.name, 'segment-0.ts');
    assert.equal(segmenter.segments()[0]?.data[0], 0x47);
  });
});
