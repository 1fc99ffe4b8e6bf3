import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aacConfigFromAdts, looksLikeAdts, parseAdtsHeader } from '../../src/media/codec/adts';
import { findNalUnits, joinAnnexB, splitAccessUnits, splitAnnexB } from '../../src/media/codec/annexb';
import { BitReader, removeEmulationPrevention } from '../../src/media/codec/bit-reader';
import { parseH264Sps } from '../../src/media/codec/h264-sps';
import { parseH265Sps } from '../../src/media/codec/h265-sps';
import { codecEvidence } from '../../src/media/codec/nal-unit';
import { hasFfmpeg, readMedia } from './helpers/media-files';
import { randomBytes, randomInt, seededRandom } from '../helpers/random';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

/** Bits given as a string ('1 010 011') packed into bytes, zero-padded. */
function bits(s: string): Buffer {
  const clean = s.replace(/\s/g, '');
  const out = Buffer.alloc(Math.ceil(clean.length / 8));
  for (let i = 0; i < clean.length; i++) if (clean[i] === '1') out[i >> 3] = (out[i >> 3] ?? 0) | (0x80 >> (i & 7));
  return out;
}

describe('exp-Golomb bit reader', () => {
  test('ue(v) and se(v) read the codes of H.264 table 9-2', () => {
    const r = new BitReader(bits('1 010 011 00100 00101 00110 00111 0001000'));
    assert.deepEqual([r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readUE()], [0, 1, 2, 3, 4, 5, 6, 7]);
    const s = new BitReader(bits('1 010 011 00100 00101'));
    assert.deepEqual([s.readSE(), s.readSE(), s.readSE(), s.readSE(), s.readSE()], [0, 1, -1, 2, -2]);
    assert.equal(s.overrun, false);
  });

  test('reading past the end yields zeros and sets overrun instead of throwing', () => {
    const r = new BitReader(Buffer.from([0xff]));
    assert.equal(r.readBits(8), 255);
    assert.equal(r.readBits(32), 0);
    assert.equal(r.overrun, true);
    const z = new BitReader(Buffer.alloc(8));
    z.readUE();
    assert.equal(z.overrun, true, 'more than 31 leading zeros');
  });

  test('emulation prevention bytes are removed, and nothing is copied when there are none', () => {
    assert.deepEqual([...removeEmulationPrevention(Buffer.from([0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 0, 3]))], [0x67, 0, 0, 1, 0, 0, 0, 0, 0]);
    const plain = Buffer.from([0x67, 1, 2, 3]);
    assert.equal(removeEmulationPrevention(plain).buffer, plain.buffer);
  });
});

describe('SPS parsing', () => {
  test('an H.264 SPS of 1920x1080 is cropped from 1088 coded lines', { skip }, () => {
    const sps = splitAnnexB(readMedia('h264-1080p.h264')).find((n) => ((n[0] ?? 0) & 0x1f) === 7);
    assert.ok(sps);
    const parsed = parseH264Sps(sps);
    assert.ok(parsed);
    assert.equal(parsed.width, 1920);
    assert.equal(parsed.height, 1080);
    assert.equal(parsed.chromaFormatIdc, 1);
  });

  test('ffmpeg-made streams give 640x360 (H.264 with VUI timing: 25 fps) and 640x360 (H.265)', { skip }, () => {
    const h264 = splitAnnexB(readMedia('h264-640x360.h264')).find((n) => ((n[0] ?? 0) & 0x1f) === 7);
    assert.ok(h264);
    assert.deepEqual(pick(parseH264Sps(h264)), { width: 640, height: 360, fps: 25 });
    const small = splitAnnexB(readMedia('h264-320x240.h264')).find((n) => ((n[0] ?? 0) & 0x1f) === 7);
    assert.deepEqual(pick(parseH264Sps(small as Buffer)), { width: 320, height: 240, fps: 25 });
    const h265 = splitAnnexB(readMedia('h265-640x360.hevc')).find((n) => (((n[0] ?? 0) >> 1) & 0x3f) === 33);
    assert.ok(h265);
    const p = parseH265Sps(h265);
    assert.equal(p?.width, 640);
    assert.equal(p?.height, 360);
    assert.equal(p?.profileIdc, 1);
  });

  test('truncated and random SPS bytes give null or a sane size, never a throw', { skip }, () => {
    const rand = seededRandom(11);
    const h264 = splitAnnexB(readMedia('h264-640x360.h264')).find((n) => ((n[0] ?? 0) & 0x1f) === 7) as Buffer;
    const h265 = splitAnnexB(readMedia('h265-640x360.hevc')).find((n) => (((n[0] ?? 0) >> 1) & 0x3f) === 33) as Buffer;
    for (let i = 0; i < 3000; i++) {
      const base = i % 2 ? h264 : h265;
      const input = i % 3 === 0 ? base.subarray(0, randomInt(rand, 0, base.length)) : Buffer.concat([base.subarray(0, 2), randomBytes(rand, randomInt(rand, 0, 40))]);
      for (const r of [parseH264Sps(input), parseH265Sps(input)]) {
        if (r) assert.ok(r.width > 0 && r.height > 0 && r.width <= 16888 && r.height <= 16888);
      }
    }
  });
});

function pick(sps: { width: number; height: number; fps?: number } | null): unknown {
  return sps && { width: sps.width, height: sps.height, fps: sps.fps };
}

describe('Annex B', () => {
  test('NAL units are found with 3- and 4-byte start codes, trailing zeros and leading junk excluded', () => {
    const buf = Buffer.from([9, 9, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 5, 0]);
    const { starts, codeStarts } = findNalUnits(buf);
    assert.deepEqual(starts, [6, 12, 19]);
    assert.deepEqual(codeStarts, [2, 9, 15]);
    assert.deepEqual(splitAnnexB(buf).map((n) => [...n]), [[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]]);
    assert.ok(splitAnnexB(joinAnnexB(splitAnnexB(buf))).every((n, i) => n.equals(splitAnnexB(buf)[i] as Buffer)));
  });

  test('an ffmpeg H.264 stream splits into 50 access units, 2 of them IDR with SPS and PPS', { skip }, () => {
    const aus = splitAccessUnits(readMedia('h264-640x360.h264'), 'h264');
    assert.equal(aus.length, 50);
    const idr = aus.filter((a) => splitAnnexB(a).some((n) => ((n[0] ?? 0) & 0x1f) === 5));
    assert.equal(idr.length, 2);
    assert.ok(idr.every((a) => splitAnnexB(a).map((n) => (n[0] ?? 0) & 0x1f).join().startsWith('7,8')));
  });

  test('an ffmpeg H.265 stream splits into 50 access units', { skip }, () => {
    assert.equal(splitAccessUnits(readMedia('h265-640x360.hevc'), 'h265').length, 50);
  });
});

describe('codec evidence from NAL headers', () => {
  test('parameter sets and IDR point to their codec; an H.264 P slice is weak H.264 evidence', () => {
    assert.equal(codecEvidence(0x67, 0x64), -2); // H.264 SPS, High profile
    assert.equal(codecEvidence(0x65, 0x88), -2); // H.264 IDR
    assert.equal(codecEvidence(0x41, 0x9a), -1); // H.264 P slice
    assert.equal(codecEvidence(0x40, 0x01), 2); // H.265 VPS
    assert.equal(codecEvidence(0x26, 0x01), 2); // H.265 IDR_W_RADL
    assert.equal(codecEvidence(0x02, 0x01), 1); // H.265 TRAIL_R
  });
});

describe('ADTS', () => {
  test('an ffmpeg AAC stream has 8 kHz mono ADTS frames and an AudioSpecificConfig of 0x1588', { skip }, () => {
    const aac = readMedia('aac-8k.aac');
    const h = parseAdtsHeader(aac);
    assert.ok(h);
    assert.equal(h.sampleRate, 8000);
    assert.equal(h.channelConfig, 1);
    assert.equal(aacConfigFromAdts(h).toString('hex'), '1588');
    assert.ok(looksLikeAdts(aac.subarray(0, h.frameLength)));
    assert.equal(looksLikeAdts(readMedia('g711a-8k.alaw').subarray(0, 320)), false);
    assert.equal(parseAdtsHeader(Buffer.from([0xff, 0xf1, 0x7c, 0, 0, 0, 0])), null, 'sample rate index 15');
  });
});
