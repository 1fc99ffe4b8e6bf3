import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit } from '../../../../src/media/codec/types';
import { HlsSegmenter, type HlsSegment } from '../../../../src/media/out/hls/segmenter';
import { readPackets } from './ts-reader';

const SC = Buffer.from([0, 0, 0, 1]);
const KEY = Buffer.concat([SC, Buffer.from('6742c01e8c8d40a02f', 'hex'), SC, Buffer.from('68ce3c80', 'hex'), SC, Buffer.from([0x65, 0x88, 1, 2, 3])]);
const DELTA = Buffer.concat([SC, Buffer.from([0x41, 0x9a, 4, 5, 6])]);

/** 25 fps H.264 frames from `pts`, a key frame every `gop` frames. */
function frames(count: number, pts: number, gop = 25, firstIndex = 0): AccessUnit[] {
  return Array.from({ length: count }, (_, i) => {
    const keyframe = (firstIndex + i) % gop === 0;
    return { kind: 'video', codec: 'h264', pts: pts + i * 3600, dts: pts + i * 3600, keyframe, data: keyframe ? KEY : DELTA };
  });
}

function pushAll(s: HlsSegmenter, aus: readonly AccessUnit[]): void {
  for (const au of aus) s.push(au);
}

describe('HlsSegmenter', () => {
  test('a known sequence gives this exact playlist', () => {
    const s = new HlsSegmenter({ video: 'h264', segmentName: (n) => `seg${n}.ts` });
    // Key frames every 1.2 s: cuts fall at 2.4 s, 4.8 s; the stream ends after 6.0 s.
    pushAll(s, frames(150, 90000, 30));
    assert.equal(
      s.playlist(),
      ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0', '#EXTINF:2.400,', 'seg0.ts', '#EXTINF:2.400,', 'seg1.ts', ''].join('\n'),
    );
    s.end();
    assert.equal(
      s.playlist(),
      ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0', '#EXTINF:2.400,', 'seg0.ts', '#EXTINF:2.400,', 'seg1.ts', '#EXTINF:1.200,', 'seg2.ts', '#EXT-X-ENDLIST', ''].join('\n'),
    );
  });

  test('an empty playlist announces the configured target duration', () => {
    assert.equal(new HlsSegmenter({ targetDuration: 4 }).playlist(), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n');
  });

  test('segments start with PAT, PMT and a key frame, and are served by name', () => {
    const done: HlsSegment[] = [];
    const s = new HlsSegmenter({ video: 'h264', onSegment: (seg) => done.push(seg) });
    pushAll(s, frames(100, 0));
    assert.deepEqual(done.map((d) => d.name), ['segment-0.ts']);
    const data = s.segment('segment-0.ts');
    assert.ok(data);
    assert.equal(data, done[0]!.data);
    const packets = readPackets(data);
    assert.deepEqual(packets.slice(0, 3).map((p) => p.pid), [0, 0x1000, 0x100]);
    assert.equal(packets.filter((p) => p.pid === 0x100 && p.unitStart).length, 50, '2 s of 25 fps');
    assert.equal(s.segment('segment-1.ts'), null, 'the open segment is not served');
    assert.equal(s.segment('nope.ts'), null);
  });

  test('the sliding window drops the oldest segment and advances the media sequence', () => {
    const s = new HlsSegmenter({ video: 'h264', windowSize: 3, retainAfterWindow: 1, segmentName: (n) => `s${n}.ts` });
    pushAll(s, frames(50 * 6, 0)); // six 2 s segments finished, a seventh open
    const names = s.segments().map((x) => x.name);
    assert.deepEqual(names, ['s2.ts', 's3.ts', 's4.ts']);
    assert.match(s.playlist(), /#EXT-X-MEDIA-SEQUENCE:2\n#EXTINF:2\.000,\ns2\.ts\n/);
    assert.doesNotMatch(s.playlist(), /s1\.ts/);
    assert.ok(s.segment('s1.ts'), 'kept a little after it left the playlist');
    assert.equal(s.segment('s0.ts'), null);
    assert.equal(s.stats.segments, 5);
  });

  test('a stream that starts without a key frame is dropped until the first key frame', () => {
    const s = new HlsSegmenter({ video: 'h264', audio: 'aac' });
    const aus = frames(60, 0, 25, 10); // key frames at index 15 and 40
    pushAll(s, [{ kind: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: Buffer.from('fff15c4001bffc00', 'hex') }, ...aus]);
    s.end();
    assert.equal(s.stats.droppedWaitingForKeyframe, 16);
    const seg = s.segments()[0]!;
    assert.equal(seg.duration, (60 - 15) * 0.04);
    assert.equal(readPackets(seg.data).filter((p) => p.pid === 0x100 && p.unitStart).length, 45);
  });

  test('PTS going backwards or jumping more than 10 s marks a discontinuity and waits for a key frame', () => {
    const s = new HlsSegmenter({ video: 'h264', segmentName: (n) => `${n}.ts` });
    pushAll(s, frames(60, 900000)); // 0.ts 2 s, then 0.4 s
    pushAll(s, frames(30, 90000, 25, 5)); // backwards: 20 frames dropped before the key frame
    pushAll(s, frames(10, 90000 + 30 * 3600 + 11 * 90000)); // 11 s forward
    pushAll(s, frames(10, 90000 + 30 * 3600 + 11 * 90000 + 36000 + 9 * 90000)); // 9 s: no discontinuity
    s.end();
    assert.equal(s.stats.discontinuities, 2);
    assert.equal(s.stats.droppedWaitingForKeyframe, 20);
    assert.equal(
      s.playlist(),
      [
        '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:10', '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXTINF:2.000,', '0.ts', '#EXTINF:0.400,', '1.ts',
        '#EXT-X-DISCONTINUITY', '#EXTINF:0.400,', '2.ts',
        '#EXT-X-DISCONTINUITY', '#EXTINF:9.400,', '3.ts', '#EXTINF:0.400,', '4.ts',
        '#EXT-X-ENDLIST', '',
      ].join('\n'),
    );
  });

  test('a discontinuity that slides out of the window counts in EXT-X-DISCONTINUITY-SEQUENCE', () => {
    const s = new HlsSegmenter({ video: 'h264', windowSize: 2 });
    pushAll(s, frames(50, 900000));
    pushAll(s, frames(200, 0));
    assert.deepEqual(s.segments().map((x) => x.discontinuity), [false, false]);
    assert.match(s.playlist(), /#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n/);
  });

  test('G.711 audio is skipped: the segments carry video only', () => {
    const s = new HlsSegmenter({ video: 'h264', audio: 'g711a' });
    for (const au of frames(60, 0)) {
      s.push(au);
      s.push({ kind: 'audio', codec: 'g711a', pts: au.pts, dts: au.pts, keyframe: true, data: Buffer.alloc(320, 0xd5) });
    }
    s.end();
    assert.equal(s.muxerStats.skippedAudio, 60);
    assert.ok(s.segments().every((seg) => readPackets(seg.data).every((p) => p.pid !== 0x101)));
  });

  test('an audio-only AAC stream is cut at any frame once the target duration has passed', () => {
    const s = new HlsSegmenter({ audio: 'aac', targetDuration: 1 });
    const frame = Buffer.from('fff15c4001bffc00', 'hex'); // 8 bytes, ADTS length 8
    for (let i = 0; i < 20; i++) s.push({ kind: 'audio', codec: 'aac', pts: i * 11520, dts: i * 11520, keyframe: true, data: frame });
    s.end();
    assert.deepEqual(s.segments().map((x) => x.duration), [1.024, 1.024, 0.512]);
  });

  test('bad options are refused', () => {
    assert.throws(() => new HlsSegmenter({ targetDuration: 0 }), RangeError);
    assert.throws(() => new HlsSegmenter({ windowSize: 0 }), RangeError);
  });
});
