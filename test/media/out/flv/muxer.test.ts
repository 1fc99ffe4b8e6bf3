import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit, VideoParams } from '../../../../src/media/codec/types';
import { FlvClock } from '../../../../src/media/out/flv/clock';
import { FlvMuxer, FOURCC_HVC1 } from '../../../../src/media/out/flv/muxer';
import { allocTag } from '../../../../src/media/out/flv/tag';
import { randomBytes, randomInt, seededRandom } from '../../../helpers/random';
import { readFlvTags } from './helpers/flv-file';

const SC = [0, 0, 0, 1];
function video(codec: 'h264' | 'h265', bytes: number[], ts = 0, pts = ts): AccessUnit {
  return { kind: 'video', codec, pts, dts: ts, keyframe: false, data: Buffer.from(bytes) };
}
function tagTimestamp(tag: Buffer): number {
  return (tag.readUIntBE(4, 3) | ((tag[7] ?? 0) << 24)) >>> 0;
}

describe('FLV header and metadata', () => {
  test('the header flags the tracks and ends with PreviousTagSize0', () => {
    const m = new FlvMuxer();
    assert.deepEqual(m.header({ hasVideo: true, hasAudio: true }), Buffer.from('464c5601050000000900000000', 'hex'));
    assert.equal(m.header({ hasVideo: true, hasAudio: false })[4], 1);
    assert.equal(m.header({ hasVideo: false, hasAudio: true })[4], 4);
  });

  test('onMetaData names the picture size, frame rate and codec ids', () => {
    const params: VideoParams = { kind: 'video', codec: 'h264', width: 640, height: 360, fps: 25, profile: 66, level: 30, sps: Buffer.alloc(4), pps: Buffer.alloc(2) };
    const flv = Buffer.concat([new FlvMuxer().header({ hasVideo: true, hasAudio: true }), new FlvMuxer().metadata({ video: params, audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 } })]);
    const [tag] = readFlvTags(flv);
    assert.ok(tag);
    assert.equal(tag.type, 18);
    const body = tag.data;
    assert.equal(body.subarray(3, 13).toString(), 'onMetaData');
    const number = (key: string): number => {
      const at = body.indexOf(key);
      assert.ok(at > 0, key);
      assert.equal(body[at + key.length], 0, `${key} is an AMF number`);
      return body.readDoubleBE(at + key.length + 1);
    };
    assert.equal(number('width'), 640);
    assert.equal(number('height'), 360);
    assert.equal(number('framerate'), 25);
    assert.equal(number('videocodecid'), 7);
    assert.equal(number('audiocodecid'), 7);
    assert.equal(number('audiosamplerate'), 8000);
    assert.deepEqual(body.subarray(-3), Buffer.from([0, 0, 9]), 'the ECMA array is closed');
  });

  test('H.265 metadata names hvc1 in enhanced mode and 12 in the legacy mode', () => {
    const params: VideoParams = { kind: 'video', codec: 'h265', width: 1, height: 1, profile: 1, level: 1, vps: Buffer.alloc(4), sps: Buffer.alloc(4), pps: Buffer.alloc(2) };
    const idOf = (m: FlvMuxer): number => {
      const tag = m.metadata({ video: params });
      const at = tag.indexOf('videocodecid') + 'videocodecid'.length + 1;
      return tag.readDoubleBE(at);
    };
    assert.equal(idOf(new FlvMuxer()), FOURCC_HVC1);
    assert.equal(idOf(new FlvMuxer({ hevcMode: 'codecId12' })), 12);
  });
});

describe('FLV video frames', () => {
  test('Annex B becomes 4-byte length prefixes and parameter sets and delimiters are dropped', () => {
    const au = video('h264', [...SC, 0x09, 0xf0, ...SC, 0x67, 1, 2, ...SC, 0x68, 3, 0, 0, 1, 0x65, 0xaa, 0xbb, ...SC, 0x06, 5]);
    au.keyframe = true;
    const tag = new FlvMuxer().videoFrame(au);
    assert.ok(tag);
    assert.deepEqual(tag.subarray(11, -4), Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0xaa, 0xbb, 0, 0, 0, 2, 0x06, 5]));
  });

  test('as parts, the frame is the same tag, with the NAL units as views of the access unit', () => {
    const au = video('h264', [...SC, 0x67, 1, 2, ...SC, 0x65, 0xaa, 0xbb, 0xcc, ...SC, 0x06, 5]);
    au.keyframe = true;
    const parts = new FlvMuxer().videoFrameParts(au);
    assert.ok(parts);
    const tag = Buffer.concat(parts);
    assert.equal(tag[0], 9);
    assert.equal(tag.readUIntBE(1, 3), tag.length - 15, 'DataSize');
    assert.deepEqual(tag.subarray(11, -4), Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 4, 0x65, 0xaa, 0xbb, 0xcc, 0, 0, 0, 2, 0x06, 5]));
    assert.equal(tag.readUInt32BE(tag.length - 4), tag.length - 4, 'PreviousTagSize');
    const idr = parts.find((p) => p[0] === 0x65);
    assert.ok(idr);
    assert.equal(idr.buffer, au.data.buffer, 'the slice is not copied');
    assert.deepEqual(tag, new FlvMuxer().videoFrame(au));
  });

  test('composition time is pts - dts in milliseconds, negative ones included', () => {
    const m = new FlvMuxer();
    const first = m.videoFrame(video('h264', [...SC, 0x41, 1], 9000, 9000 + 3 * 3600));
    const second = m.videoFrame(video('h264', [...SC, 0x41, 1], 12600, 12600 - 3600));
    assert.ok(first && second);
    assert.equal(first.readIntBE(13, 3), 120);
    assert.equal(second.readIntBE(13, 3), -40);
    assert.equal(tagTimestamp(first), 0, 'the stream starts at 0');
    assert.equal(tagTimestamp(second), 40);
  });

  test('H.265 frames carry the enhanced hvc1 header or the legacy codec id 12', () => {
    const au = video('h265', [...SC, 0x40, 1, 7, ...SC, 0x26, 1, 0xaf], 0, 3600);
    au.keyframe = true;
    const enhanced = new FlvMuxer().videoFrame(au);
    assert.ok(enhanced);
    assert.deepEqual(enhanced.subarray(11, 11 + 8), Buffer.from([0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 40]));
    assert.deepEqual(enhanced.subarray(19, -4), Buffer.from([0, 0, 0, 3, 0x26, 1, 0xaf]), 'the VPS is dropped');
    const legacy = new FlvMuxer({ hevcMode: 'codecId12' }).videoFrame(au);
    assert.ok(legacy);
    assert.deepEqual(legacy.subarray(11, 16), Buffer.from([0x1c, 1, 0, 0, 40]));
  });

  test('a frame without any NAL units is skipped rather than throwing', () => {
    const m = new FlvMuxer();
    assert.equal(m.videoFrame(video('h264', [])), null);
    assert.equal(m.videoFrame(video('h264', [1, 2, 3, 4, 5])), null, 'no start code');
    assert.equal(m.videoFrame(video('h264', [...SC, ...SC, 0, 0])), null, 'empty NAL units');
    assert.equal(m.videoFrame(video('h264', [...SC, 0x67, 1, ...SC, 0x68, 2, ...SC, 0x09, 0xf0])), null, 'only parameter sets');
    assert.equal(m.videoFrame(video('h265', [...SC, 0x40, 1, ...SC, 0x42, 1, ...SC, 0x44, 1])), null);
    assert.equal(m.audioFrame({ kind: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: Buffer.from('fff1508000fffc', 'hex') }), null, 'ADTS header alone');
    assert.equal(m.audioFrame({ kind: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: Buffer.from('fff15080011ffc', 'hex') }), null, 'truncated ADTS frame');
    assert.equal(m.audioFrame({ kind: 'audio', codec: 'g711a', pts: 0, dts: 0, keyframe: true, data: Buffer.alloc(0) }), null);
    const later = m.videoFrame(video('h264', [...SC, 0x41, 1], 90_000));
    assert.ok(later);
    assert.equal(tagTimestamp(later), 0, 'skipped frames do not start the clock');
  });

  test('random access units never throw and every tag is well formed', () => {
    const rand = seededRandom(0xf1a5);
    const m = new FlvMuxer();
    for (let i = 0; i < 3000; i++) {
      const data = randomBytes(rand, randomInt(rand, 0, 64));
      if (rand() < 0.5 && data.length >= 4) data.set(SC.slice(0, randomInt(rand, 1, 4)), randomInt(rand, 0, Math.max(0, data.length - 4)));
      const codec = (['h264', 'h265', 'aac', 'g711a', 'g711u'] as const)[randomInt(rand, 0, 4)] ?? 'h264';
      const kind = codec === 'h264' || codec === 'h265' ? 'video' : 'audio';
      const ts = randomInt(rand, 0, 2 ** 33);
      const au: AccessUnit = { kind, codec, pts: ts + randomInt(rand, -9000, 9000), dts: ts, keyframe: rand() < 0.5, data };
      const tag = kind === 'video' ? m.videoFrame(au) : m.audioFrame(au);
      if (!tag) continue;
      const size = tag.readUIntBE(1, 3);
      assert.equal(tag.length, 11 + size + 4);
      assert.equal(tag.readUInt32BE(11 + size), 11 + size);
    }
  });
});

describe('FLV audio', () => {
  test('AAC: the sequence header holds the AudioSpecificConfig and frames lose the ADTS header', () => {
    const m = new FlvMuxer();
    const seq = m.audioSequenceHeader({ kind: 'audio', codec: 'aac', sampleRate: 8000, channels: 1 });
    assert.ok(seq);
    assert.deepEqual(seq.subarray(11, -4), Buffer.from([0xaf, 0, 0x15, 0x88]), 'AAC-LC, 8 kHz, mono');
    // ADTS: LC, 8 kHz (index 11), mono, frame length 10 = 7 header + 3 payload.
    const adts = Buffer.from([0xff, 0xf1, 0x6c, 0x40, 0x01, 0x5f, 0xfc, 0xa1, 0xb2, 0xc3]);
    const frame = m.audioFrame({ kind: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: adts });
    assert.ok(frame);
    assert.deepEqual(frame.subarray(11, -4), Buffer.from([0xaf, 1, 0xa1, 0xb2, 0xc3]));
  });

  test('G.711 A-law is SoundFormat 7 and µ-law 8, mono, without a sequence header', () => {
    const m = new FlvMuxer();
    assert.equal(m.audioSequenceHeader({ kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 }), null);
    const a = m.audioFrame({ kind: 'audio', codec: 'g711a', pts: 0, dts: 0, keyframe: true, data: Buffer.from([0xd5, 0xd5]) });
    const u = m.audioFrame({ kind: 'audio', codec: 'g711u', pts: 1800, dts: 1800, keyframe: true, data: Buffer.from([0xff]) });
    assert.ok(a && u);
    assert.deepEqual(a.subarray(11, -4), Buffer.from([0x72, 0xd5, 0xd5]));
    assert.deepEqual(u.subarray(11, -4), Buffer.from([0x82, 0xff]));
    assert.equal(tagTimestamp(u), 20);
  });
});

describe('FLV timestamps', () => {
  test('the clock starts at 0 and follows 90 kHz across the 33-bit wrap', () => {
    const clock = new FlvClock();
    const base = 2 ** 33 - 3600;
    assert.equal(clock.toMs(base), 0);
    assert.equal(clock.toMs(base + 1800), 20);
    assert.equal(clock.toMs(1800), 60, 'a raw timestamp after the wrap');
    assert.equal(clock.toMs(2 ** 33 + 5400), 100, 'an unwrapped one keeps going the same way');
  });

  test('a track that starts slightly before the first timestamp is clamped to 0, not negative', () => {
    const clock = new FlvClock();
    assert.equal(clock.toMs(90_000), 0);
    assert.equal(clock.toMs(90_000 - 900), 0);
    assert.equal(clock.toMs(90_000 + 900), 10);
  });

  test('hours of unwrapped timestamps stay exact', () => {
    const clock = new FlvClock();
    clock.toMs(123);
    let ms = 0;
    for (let t = 123; t < 123 + 30 * 3600 * 90_000; t += 3600 * 90_000) ms = clock.toMs(t);
    assert.equal(ms, 29 * 3600 * 1000);
  });

  test('tag timestamps put the upper 8 bits in TimestampExtended and wrap at 2^32 ms', () => {
    const tag = allocTag(9, 0, 0x12345678);
    assert.deepEqual(tag.subarray(4, 8), Buffer.from([0x34, 0x56, 0x78, 0x12]));
    assert.equal(tagTimestamp(allocTag(9, 0, 2 ** 32 + 5)), 5);
  });

  test('a sequence header sent mid-stream takes the current time', () => {
    const m = new FlvMuxer();
    m.videoFrame(video('h264', [...SC, 0x41, 1], 500));
    m.videoFrame(video('h264', [...SC, 0x41, 1], 500 + 90_000));
    const seq = m.videoSequenceHeader({ kind: 'video', codec: 'h264', width: 1, height: 1, profile: 66, level: 30, sps: Buffer.from([0x67, 66, 0, 30]), pps: Buffer.from([0x68, 1]) });
    assert.ok(seq);
    assert.equal(tagTimestamp(seq), 1000);
  });
});
