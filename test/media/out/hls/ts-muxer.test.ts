import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitAnnexB } from '../../../../src/media/codec/annexb';
import type { AccessUnit } from '../../../../src/media/codec/types';
import { TsMuxer } from '../../../../src/media/out/hls/ts-muxer';
import { randomBytes, randomInt, seededRandom } from '../../../helpers/random';
import { readPackets, readPes, sectionOf, type TsPacket } from './ts-reader';

const SC = Buffer.from([0, 0, 0, 1]);
const annexB = (...nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((n) => [SC, n]));
const h264Sps = Buffer.from('6742c01e8c8d40a02f', 'hex');
const h264Pps = Buffer.from('68ce3c80', 'hex');
const idr = (n: number): Buffer => Buffer.concat([Buffer.from([0x65, 0x88]), Buffer.alloc(n, 0x11)]);
const slice = (n: number): Buffer => Buffer.concat([Buffer.from([0x41, 0x9a]), Buffer.alloc(n, 0x22)]);

function video(data: Buffer, pts: number, keyframe: boolean, dts = pts, codec: 'h264' | 'h265' = 'h264'): AccessUnit {
  return { kind: 'video', codec, pts, dts, keyframe, data };
}
/** One ADTS frame (AAC LC, 8 kHz mono) with `n` payload bytes. */
function adts(n: number): Buffer {
  const len = 7 + n;
  const h = Buffer.from([0xff, 0xf1, 0x40 | (11 << 2), 0x40 | ((len >> 11) & 3), (len >> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc]);
  return Buffer.concat([h, Buffer.alloc(n, 0x33)]);
}
const audio = (data: Buffer, pts: number, codec: 'aac' | 'g711a' = 'aac'): AccessUnit => ({ kind: 'audio', codec, pts, dts: pts, keyframe: true, data });

/** CRC-32/MPEG-2 bit by bit, independent of the table-driven one in src. */
function crcBitwise(b: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of b) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = (crc >>> 31) ^ ((byte >> bit) & 1);
      crc = ((crc << 1) ^ (top ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return crc;
}

function muxAll(muxer: TsMuxer, aus: readonly AccessUnit[]): Buffer {
  return Buffer.concat(aus.map((au) => muxer.mux(au)).filter((b): b is Buffer => b !== null));
}

describe('TsMuxer', () => {
  test('every packet is 188 bytes and starts with the sync byte 0x47', () => {
    const muxer = new TsMuxer({ video: 'h264', audio: 'aac' });
    const rand = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const au = i % 3 === 0 ? audio(adts(randomInt(rand, 0, 800)), i * 1000) : video(annexB(slice(randomInt(rand, 0, 5000))), i * 1000, i % 30 === 1);
      const out = muxer.mux(au);
      assert.ok(out);
      assert.equal(out.length % 188, 0);
      for (let at = 0; at < out.length; at += 188) assert.equal(out[at], 0x47);
    }
  });

  test('continuity counters count 0..15 per PID, independently', () => {
    const muxer = new TsMuxer({ video: 'h264', audio: 'aac' });
    const aus: AccessUnit[] = [];
    for (let i = 0; i < 40; i++) {
      aus.push(video(annexB(...(i % 10 === 0 ? [h264Sps, h264Pps, idr(3000)] : [slice(700 + i * 37)])), i * 3600, i % 10 === 0));
      aus.push(audio(adts(100 + i), i * 3600));
    }
    const packets = readPackets(muxAll(muxer, aus));
    const last = new Map<number, number>();
    const seen = new Map<number, number>();
    for (const p of packets) {
      const prev = last.get(p.pid);
      if (prev !== undefined) assert.equal(p.cc, (prev + 1) & 15, `PID ${p.pid}`);
      else assert.equal(p.cc, 0);
      last.set(p.pid, p.cc);
      seen.set(p.pid, (seen.get(p.pid) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [0x0000, 0x0100, 0x0101, 0x1000]);
    assert.ok((seen.get(0x100) ?? 0) > 16, 'the video counter wrapped at least once');
  });

  test('PAT and PMT carry valid CRCs and list H.264 on 0x100 (PCR PID) and AAC on 0x101', () => {
    const packets = readPackets(muxAll(new TsMuxer({ video: 'h264', audio: 'aac' }), [video(annexB(h264Sps, h264Pps, idr(100)), 0, true)]));
    const [pat, pmt] = packets as [TsPacket, TsPacket];
    assert.equal(pat.pid, 0);
    assert.equal(pmt.pid, 0x1000);
    for (const p of [pat, pmt]) {
      const s = sectionOf(p);
      assert.equal(crcBitwise(s.subarray(0, s.length - 4)), s.readUInt32BE(s.length - 4));
      assert.equal(p.payload.subarray(1 + s.length).every((b) => b === 0xff), true, 'stuffed with 0xFF');
    }
    const patSection = sectionOf(pat);
    assert.equal(patSection.readUInt16BE(8), 1); // program number
    assert.equal(patSection.readUInt16BE(10) & 0x1fff, 0x1000);
    const s = sectionOf(pmt);
    assert.equal(s[0], 0x02);
    assert.equal(s.readUInt16BE(8) & 0x1fff, 0x100, 'PCR PID');
    assert.deepEqual([...s.subarray(12, 22)], [0x1b, 0xe1, 0x00, 0xf0, 0x00, 0x0f, 0xe1, 0x01, 0xf0, 0x00]);
  });

  test('H.265 is stream type 0x24; G.711 is left out of the program and its frames are skipped', () => {
    const muxer = new TsMuxer({ video: 'h265', audio: 'g711a' });
    const vps = Buffer.from('40010c01ffff', 'hex');
    const sps = Buffer.from('420101016000', 'hex');
    const pps = Buffer.from('4401c172b4', 'hex');
    const irap = Buffer.from('2601af0000', 'hex');
    const out = muxer.mux(video(annexB(vps, sps, pps, irap), 9000, true, 9000, 'h265'));
    assert.ok(out);
    const s = sectionOf(readPackets(out)[1]!);
    assert.equal(s.readUInt16BE(1) & 0x0fff, 13 + 5, 'one stream');
    assert.equal(s[12], 0x24);
    assert.equal(muxer.mux(audio(Buffer.alloc(320, 0xd5), 9000, 'g711a')), null);
    assert.equal(muxer.stats.skippedAudio, 1);
    const pes = readPes(readPackets(out), 0x100)[0]!;
    assert.deepEqual(splitAnnexB(pes.data)[0], Buffer.from([0x46, 0x01, 0x50]), 'an H.265 AUD comes first');
  });

  test('PES carry PTS and DTS at 90 kHz, wrapped to 33 bits, and the payload unchanged', () => {
    const muxer = new TsMuxer({ video: 'h264' });
    const big = 2 ** 33 + 12345;
    const frames = [video(annexB(h264Sps, h264Pps, idr(70000)), 3600 * 3, true, 0), video(annexB(slice(10)), big + 7200, false, big)];
    const pes = readPes(readPackets(muxAll(muxer, frames)), 0x100);
    assert.equal(pes.length, 2);
    assert.equal(pes[0]!.pts, 10800);
    assert.equal(pes[0]!.dts, 0);
    assert.equal(pes[0]!.lengthField, 0, 'a PES over 64 KB is unbounded');
    assert.equal(pes[1]!.pts, 12345 + 7200);
    assert.equal(pes[1]!.dts, 12345);
    assert.notEqual(pes[1]!.lengthField, 0);
    assert.equal(pes[0]!.streamId, 0xe0);
  });

  test('an AUD is put first in H.264 frames without one, and kept where present', () => {
    const muxer = new TsMuxer({ video: 'h264' });
    const withAud = annexB(Buffer.from([0x09, 0x10]), slice(20));
    const out = muxAll(muxer, [video(annexB(h264Sps, h264Pps, idr(50)), 0, true), video(annexB(slice(20)), 3600, false), video(withAud, 7200, false)]);
    const pes = readPes(readPackets(out), 0x100);
    assert.deepEqual(splitAnnexB(pes[0]!.data).map((n) => n[0]! & 0x1f), [9, 7, 8, 5]);
    assert.deepEqual(splitAnnexB(pes[1]!.data).map((n) => n[0]! & 0x1f), [9, 1]);
    assert.deepEqual(pes[2]!.data, withAud);
  });

  test('a key frame without parameter sets gets the last ones seen, after its AUD', () => {
    const muxer = new TsMuxer({ video: 'h264' });
    muxer.mux(video(annexB(h264Sps, h264Pps, idr(50)), 0, true));
    const bare = muxer.mux(video(annexB(Buffer.from([0x09, 0x10]), idr(60)), 90000, true));
    const nals = splitAnnexB(readPes(readPackets(bare!), 0x100)[0]!.data);
    assert.deepEqual(nals.map((n) => n[0]! & 0x1f), [9, 7, 8, 5]);
    assert.deepEqual(nals[1], h264Sps);
    assert.deepEqual(nals[2], h264Pps);
  });

  test('key frames start with PAT and PMT and set random_access_indicator and a PCR; other frames do not repeat the tables', () => {
    const muxer = new TsMuxer({ video: 'h264', audio: 'aac' });
    const key = readPackets(muxer.mux(video(annexB(h264Sps, h264Pps, idr(500)), 90000, true))!);
    assert.deepEqual(key.slice(0, 3).map((p) => p.pid), [0, 0x1000, 0x100]);
    const pes = readPes(key, 0x100)[0]!;
    assert.equal(pes.randomAccess, true);
    assert.equal(pes.pcr, 90000 - 9000, 'PCR trails the DTS by 100 ms');
    const delta = readPackets(muxer.mux(video(annexB(slice(500)), 93600, false))!);
    assert.equal(delta[0]!.pid, 0x100);
    assert.equal(readPes(delta, 0x100)[0]!.randomAccess, false);
    assert.equal(readPes(delta, 0x100)[0]!.pcr, 93600 - 9000);
    const a = readPackets(muxer.mux(audio(adts(50), 90000))!);
    assert.deepEqual(a.map((p) => p.pid), [0x101]);
    assert.equal(readPes(a, 0x101)[0]!.pcr, -1, 'the PCR is on the video PID');
    assert.equal(readPes(a, 0x101)[0]!.streamId, 0xc0);
    assert.equal(readPackets(muxer.mux(audio(adts(50), 91920), true)!)[0]!.pid, 0, 'withTables asks for PAT/PMT');
  });

  test('payloads of every length from 0 to 599 bytes round-trip through the stuffing of the last packet', () => {
    const rand = seededRandom(42);
    const muxer = new TsMuxer({ audio: 'aac' });
    for (let n = 0; n < 600; n++) {
      const au = audio(Buffer.concat([adts(n).subarray(0, 7), randomBytes(rand, n)]), n * 1920);
      const out = muxer.mux(au)!;
      const packets = readPackets(out);
      const pes = readPes(packets, 0x101);
      assert.equal(pes.length, 1);
      assert.deepEqual(pes[0]!.data, au.data, `length ${n}`);
      assert.equal(pes[0]!.lengthField, 3 + 5 + au.data.length);
      assert.equal(pes[0]!.randomAccess, true, 'audio-only: every frame is a place to start');
      assert.equal(pes[0]!.pcr, Math.max(0, n * 1920 - 9000));
    }
  });

  test('a codec switch issues a new PMT version listing the new stream type', () => {
    const muxer = new TsMuxer({ video: 'h264' });
    muxer.mux(video(annexB(h264Sps, h264Pps, idr(50)), 0, true));
    const out = muxer.mux(video(annexB(Buffer.from('2601af0000', 'hex')), 3600, true, 3600, 'h265'))!;
    const pmt = sectionOf(readPackets(out)[1]!);
    assert.equal((pmt[5]! >> 1) & 0x1f, 1);
    assert.equal(pmt[12], 0x24);
  });
});
