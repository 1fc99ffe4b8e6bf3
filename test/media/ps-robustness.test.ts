import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAdtsHeader } from '../../src/media/codec/adts';
import type { AccessUnit } from '../../src/media/codec/types';
import { PsDemuxer } from '../../src/media/ps/demuxer';
import { PsMuxer } from '../../src/media/ps/muxer';
import { RtpPsPacketizer, splitPayloads } from '../../src/media/ps/rtp-packetizer';
import { parseRtpPacket } from '../../src/media/rtp/packet';
import { RtpReorderBuffer } from '../../src/media/rtp/reorder';
import { collectingDemuxer, demuxPacks, feed, framesOf, muxFrames, packHeader, pes, type SourceFrame } from './helpers/ps-stream';
import { hasFfmpeg, readMedia } from './helpers/media-files';
import { mutate, randomBytes, randomInt, seededRandom } from '../helpers/random';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

function h264(): SourceFrame[] {
  return framesOf(readMedia('h264-640x360.h264'), 'h264');
}

/** Frames equal to the source except those listed as damaged (which must be absent or differ). */
function assertIntactExcept(src: readonly SourceFrame[], frames: readonly AccessUnit[], damaged: readonly number[]): void {
  const video = frames.filter((f) => f.kind === 'video');
  const byPts = new Map(video.map((f) => [f.pts, f]));
  src.forEach((s, i) => {
    if (damaged.includes(i)) return;
    const got = byPts.get(s.pts);
    assert.ok(got, `frame ${i} is missing`);
    assert.ok(got.data.equals(s.data), `frame ${i} differs`);
    assert.equal(got.keyframe, s.keyframe);
  });
}

/** Random bytes that hold no 00 00 01, so they cannot be mistaken for a start code. */
function junk(rand: () => number, n: number): Buffer {
  const b = randomBytes(rand, n);
  for (let i = 0; i < n; i++) if (b[i] === 0 || b[i] === 1) b[i] = 0x5a;
  return b;
}

/** A realistic capture: H.264 video, AAC audio packs in between, PSM on key frames. */
function capture(): { ps: Buffer; packs: Buffer[]; times: number[] } {
  const src = h264();
  const aac = readMedia('aac-8k.aac');
  const muxer = new PsMuxer({ videoCodec: 'h264', audioCodec: 'aac' });
  const packs: Buffer[] = [];
  const times: number[] = [];
  let at = 0;
  for (const f of src) {
    packs.push(muxer.muxVideo({ data: f.data, pts: f.pts, keyframe: f.keyframe }));
    times.push(f.pts);
    const h = parseAdtsHeader(aac, at);
    if (h) {
      packs.push(muxer.muxAudio(aac.subarray(at, at + h.frameLength), f.pts + 100));
      times.push(f.pts + 100);
      at += h.frameLength;
    }
  }
  return { ps: Buffer.concat(packs), packs, times };
}

function assertSane(d: PsDemuxer, frames: readonly AccessUnit[]): void {
  const s = d.stats;
  for (const [k, v] of Object.entries(s)) assert.ok(Number.isInteger(v) && v >= 0, `${k} = ${v}`);
  assert.ok(s.bytesDropped <= s.bytesIn, `dropped ${s.bytesDropped} of ${s.bytesIn}`);
  assert.equal(s.frames, s.videoFrames + s.audioFrames);
  assert.equal(frames.length, s.frames);
  for (const f of frames) {
    assert.ok(f.data.length > 0);
    assert.ok(Number.isFinite(f.pts) && Number.isFinite(f.dts));
    if (f.kind === 'video') {
      assert.ok(f.codec === 'h264' || f.codec === 'h265');
      assert.ok(f.data[0] === 0 && f.data[1] === 0, 'video starts with a start code');
      assert.ok((f.nalUnits?.length ?? 0) > 0);
    } else {
      assert.ok(f.codec === 'aac' || f.codec === 'g711a' || f.codec === 'g711u');
    }
  }
}

describe('PS demuxer on broken input', () => {
  test('garbage between packs is dropped, counted to the byte, and no frame is harmed', { skip }, () => {
    const src = h264();
    const rand = seededRandom(1);
    const packs = muxFrames(src, 'h264');
    let garbage = 0;
    const dirty = packs.map((p, i) => {
      if (i % 7 !== 3) return p;
      const g = junk(rand, randomInt(rand, 1, 900));
      garbage += g.length;
      return Buffer.concat([p, g]);
    });
    const { frames, demuxer } = demuxPacks(dirty, src.map((f) => f.pts));
    assertIntactExcept(src, frames, []);
    assert.equal(frames.length, 50);
    assert.equal(demuxer.stats.bytesDropped, garbage);
    assert.equal(demuxer.stats.resyncs, 7);
  });

  test('a broken pack start code costs only the pack header; a broken PES start code costs that frame', { skip }, () => {
    const src = h264();
    const packs = muxFrames(src, 'h264');
    const broken = packs.map((p) => Buffer.from(p));
    (broken[10] as Buffer)[2] = 0x02; // 00 00 02 BA
    const pesAt = (broken[20] as Buffer).indexOf(Buffer.from([0, 0, 1, 0xe0]));
    (broken[20] as Buffer)[pesAt + 1] = 0x01; // 00 01 01 E0
    const { frames, demuxer } = demuxPacks(broken, src.map((f) => f.pts));
    assertIntactExcept(src, frames, [20]);
    assert.equal(frames.length, 49);
    assert.ok(!frames.some((f) => f.pts === src[20]?.pts));
    assert.equal(demuxer.stats.resyncs, 2);
    assert.ok(demuxer.stats.bytesDropped >= 14 + (src[20]?.data.length ?? 0));
  });

  test('a PES length that claims too much is cut at the next pack; one that claims too little loses only its tail', { skip }, () => {
    const src = h264();
    const packs = muxFrames(src, 'h264').map((p) => Buffer.from(p));
    const long = packs[5] as Buffer;
    const at5 = long.indexOf(Buffer.from([0, 0, 1, 0xe0]));
    long.writeUInt16BE(long.readUInt16BE(at5 + 4) + 3000, at5 + 4);
    const short = packs[30] as Buffer;
    const at30 = short.indexOf(Buffer.from([0, 0, 1, 0xe0]));
    short.writeUInt16BE(short.readUInt16BE(at30 + 4) - 100, at30 + 4);
    for (const marker of ['last', 'none'] as const) {
      const d = collectingDemuxer();
      feed(d.demuxer, packs, src.map((f) => f.pts), { marker });
      d.demuxer.flush();
      assertIntactExcept(src, d.frames, [30]);
      const f30 = d.frames.find((f) => f.pts === src[30]?.pts);
      assert.ok(f30 && (src[30] as SourceFrame).data.subarray(0, f30.data.length).equals(f30.data), 'frame 30 keeps what its length covered');
      assert.equal(d.demuxer.stats.lengthErrors, 1, marker);
      assert.equal(d.demuxer.stats.bytesDropped, 100, marker);
    }
  });

  test('a truncated pack ends its frame at the next pack header; the marker is trusted again later', { skip }, () => {
    const src = h264();
    const packs = muxFrames(src, 'h264');
    packs[8] = (packs[8] as Buffer).subarray(0, (packs[8] as Buffer).length - 300);
    const d = collectingDemuxer();
    feed(d.demuxer, packs, src.map((f) => f.pts));
    assert.equal(d.demuxer.markerIsTrusted, false, 'a marker inside a PES is not believed');
    feed(d.demuxer, muxFrames(framesOf(readMedia('h264-640x360.h264'), 'h264', 90000 + 50 * 3600), 'h264'), src.map((f) => f.pts + 50 * 3600));
    assert.equal(d.demuxer.markerIsTrusted, true);
    d.demuxer.flush();
    assertIntactExcept(src, d.frames, [8]);
    assert.equal(d.frames.length, 100);
    assert.equal(d.demuxer.stats.lengthErrors, 1);
  });

  test('RTP loss drops the frame it hit and nothing else', { skip }, () => {
    const src = h264();
    const packetizer = new RtpPsPacketizer({ ssrc: 9, initialSequenceNumber: 100, maxPayload: 200 });
    const packets = muxFrames(src, 'h264').flatMap((pack, i) => packetizer.packetize(pack, src[i]?.pts ?? 0));
    const hitFrame = 12;
    const victim = packets.findIndex((p) => parseRtpPacket(p)?.timestamp === src[hitFrame]?.pts) + 2;
    const frames: AccessUnit[] = [];
    const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f) });
    const reorder = new RtpReorderBuffer({ onPacket: (p) => demuxer.push(p.payload, p.timestamp, p.marker), onLoss: () => demuxer.discontinuity() });
    packets.forEach((p, i) => i !== victim && reorder.push(parseRtpPacket(p) as NonNullable<ReturnType<typeof parseRtpPacket>>));
    reorder.flush();
    demuxer.flush();
    assertIntactExcept(src, frames, [hitFrame]);
    assert.equal(frames.length, 49);
    assert.equal(demuxer.stats.framesDropped, 1);
    assert.equal(reorder.stats.lost, 1);
  });

  test('a megabyte of random bytes yields no frames and is all counted as dropped', () => {
    const rand = seededRandom(5);
    const d = collectingDemuxer();
    const noise = randomBytes(rand, 1 << 20);
    for (const p of splitPayloads(noise, 1400)) d.demuxer.push(p, 0, rand() < 0.1);
    d.demuxer.flush();
    assertSane(d.demuxer, d.frames);
    assert.ok(d.demuxer.stats.bytesDropped > noise.length * 0.99);
  });

  test('PES and pack headers cut short at the end of the stream do not throw', () => {
    const d = collectingDemuxer();
    const full = Buffer.concat([packHeader(0), pes(0xe0, Buffer.from([0, 0, 0, 1, 0x65, 1, 2, 3]), 3600)]);
    for (let n = 0; n <= full.length; n++) {
      const x = collectingDemuxer();
      x.demuxer.push(full.subarray(0, n), 0, true);
      x.demuxer.flush();
      assertSane(x.demuxer, x.frames);
    }
    d.demuxer.flush();
  });

  test('2,000 mutated copies of a real capture (bit flips, truncation, insertion, deletion, duplication) never throw', { skip }, () => {
    const { ps } = capture();
    const rand = seededRandom(0xfeed);
    let frames = 0;
    for (let round = 0; round < 2000; round++) {
      let input = mutate(rand, ps);
      if (round % 4 === 0) input = mutate(rand, input);
      const d = collectingDemuxer();
      for (let at = 0; at < input.length; ) {
        const n = randomInt(rand, 1, 3000);
        d.demuxer.push(input.subarray(at, at + n), Math.floor(at / 5000) * 3600, rand() < 0.3);
        at += n;
        if (rand() < 0.01) d.demuxer.discontinuity();
      }
      d.demuxer.flush();
      assertSane(d.demuxer, d.frames);
      frames += d.frames.length;
    }
    assert.ok(frames > 2000 * 40, `damage stays local: ${frames} frames in all`);
  });

  test('a single flipped bit costs at most a few frames', { skip }, () => {
    const { packs, times } = capture();
    const ps = Buffer.concat(packs);
    const clean = demuxPacks(packs, times).frames.length;
    const rand = seededRandom(77);
    for (let round = 0; round < 300; round++) {
      const input = Buffer.from(ps);
      const at = randomInt(rand, 0, input.length - 1);
      input[at] = (input[at] ?? 0) ^ (1 << randomInt(rand, 0, 7));
      const d = collectingDemuxer();
      for (const p of splitPayloads(input, 1400)) d.demuxer.push(p, 0, false);
      d.demuxer.flush();
      assertSane(d.demuxer, d.frames);
      assert.ok(Math.abs(d.frames.length - clean) <= 3, `flip at ${at}: ${d.frames.length} frames, ${clean} clean`);
    }
  });

  test('mutated RTP packets through parse, reorder and demux never throw', { skip }, () => {
    const { packs, times } = capture();
    const packetizer = new RtpPsPacketizer({ ssrc: 1, initialSequenceNumber: 65000 });
    const packets = packs.flatMap((p, i) => packetizer.packetize(p, times[i] ?? 0));
    const rand = seededRandom(31337);
    for (let round = 0; round < 200; round++) {
      const d = collectingDemuxer();
      const reorder = new RtpReorderBuffer({ onPacket: (p) => d.demuxer.push(p.payload, p.timestamp, p.marker), onLoss: () => d.demuxer.discontinuity() });
      for (const raw of packets) {
        const roll = rand();
        const input = roll < 0.03 ? mutate(rand, raw) : roll < 0.05 ? raw.subarray(0, randomInt(rand, 0, raw.length)) : raw;
        if (roll > 0.99) continue;
        const p = parseRtpPacket(input);
        if (p) reorder.push(p);
      }
      reorder.flush();
      d.demuxer.flush();
      assertSane(d.demuxer, d.frames);
    }
  });
});
