import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitAnnexB } from '../../../../src/media/codec/annexb';
import { parseRtpPacket } from '../../../../src/media/rtp/packet';
import { payloadAac, payloadG711 } from '../../../../src/media/out/rtsp/audio-payloaders';
import { payloadH264 } from '../../../../src/media/out/rtsp/h264-payloader';
import { payloadH265 } from '../../../../src/media/out/rtsp/h265-payloader';
import { buildBye, buildSenderReport } from '../../../../src/media/out/rtsp/rtcp';
import type { RtpPayloadPiece } from '../../../../src/media/out/rtsp/rtp-payload';
import { RtpTrackSender } from '../../../../src/media/out/rtsp/rtp-sender';
import { readMedia } from '../../helpers/media-files';
import { framesOf } from '../../helpers/ps-stream';
import { randomBytes, seededRandom } from '../../../helpers/random';
import { depacketizeVideo, parseAll } from './helpers/depacketize';

/** What a UDP datagram of each packet would be. */
function datagrams(pieces: RtpPayloadPiece[], sender = new RtpTrackSender({ payloadType: 96, ssrc: 0x11223344, firstSequence: 65534, channel: 0 }), ts = 1000): Buffer[] {
  return sender.packetize(pieces, ts).map((p) => Buffer.concat([p.head.subarray(4), p.body]));
}

function nal(header: number[], size: number, fill = 0xab): Buffer {
  const b = Buffer.alloc(size, fill);
  Buffer.from(header).copy(b);
  return b;
}

describe('H.264 RTP payloads (RFC 6184)', () => {
  test('small NAL units go whole, one per packet, with the marker on the last packet of the access unit', () => {
    const nals = [nal([0x67], 20), nal([0x68], 5), nal([0x65], 900)];
    const pieces = payloadH264(nals, 1400);
    assert.equal(pieces.length, 3);
    assert.deepEqual(pieces.map((p) => p.marker), [false, false, true]);
    pieces.forEach((p, i) => {
      assert.equal(p.prefix.length, 0);
      assert.equal(p.body, nals[i], 'a view of the NAL unit, not a copy');
    });
  });

  test('a NAL unit larger than the payload limit is cut into FU-A fragments with S and E bits', () => {
    const big = nal([0x65], 5000);
    for (let i = 1; i < big.length; i++) big[i] = i & 0xff;
    const pieces = payloadH264([big], 1400);
    assert.equal(pieces.length, Math.ceil(4999 / 1398));
    for (const p of pieces) assert.ok(p.prefix.length + p.body.length <= 1400);
    assert.deepEqual([...(pieces[0]?.prefix ?? [])], [0x7c, 0x85]); // NRI 3, type 28; S, type 5
    assert.equal(pieces[1]?.prefix[1], 0x05);
    assert.equal(pieces.at(-1)?.prefix[1], 0x45); // E, type 5
    assert.equal(pieces.at(-1)?.marker, true);
    assert.equal(pieces.filter((p) => p.marker).length, 1);
    const units = depacketizeVideo('h264', parseAll(datagrams(pieces)));
    assert.ok(Array.isArray(units), String(units));
    assert.deepEqual(units, [[big]]);
  });

  test('access unit delimiters and NAL types the RTP format reserves are left out', () => {
    const pieces = payloadH264([nal([0x09], 2), nal([0x00], 4), nal([0x18], 4), nal([0x1c], 4), nal([0x41], 30), Buffer.alloc(0)], 1400);
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0]?.body[0], 0x41);
    assert.equal(pieces[0]?.marker, true);
  });

  test('a whole clip goes through and comes back byte for byte, NAL unit for NAL unit', () => {
    const frames = framesOf(readMedia('h264-640x360.h264'), 'h264');
    const sender = new RtpTrackSender({ payloadType: 96, ssrc: 1, firstSequence: 0, channel: 0 });
    const packets = frames.flatMap((f, i) => datagrams(payloadH264(splitAnnexB(f.data), 1400), sender, i * 3600));
    for (const d of packets) assert.ok(d.length <= 1412);
    const units = depacketizeVideo('h264', parseAll(packets));
    assert.ok(Array.isArray(units), String(units));
    assert.deepEqual(units, frames.map((f) => splitAnnexB(f.data).filter((n) => ((n[0] ?? 0) & 0x1f) !== 9)));
  });

  test('random NAL unit sizes around the limit always fit and always reassemble', () => {
    const rand = seededRandom(6184);
    for (let round = 0; round < 300; round++) {
      const max = 64 + Math.floor(rand() * 1500);
      const nals = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Buffer.concat([Buffer.from([0x41 + Math.floor(rand() * 4)]), randomBytes(rand, Math.floor(rand() * 4000))]));
      const pieces = payloadH264(nals, max);
      for (const p of pieces) assert.ok(p.prefix.length + p.body.length <= max, `round ${round}`);
      const units = depacketizeVideo('h264', parseAll(datagrams(pieces)));
      assert.deepEqual(units, [nals], `round ${round}`);
    }
  });
});

describe('H.265 RTP payloads (RFC 7798)', () => {
  test('a large NAL unit is cut into FUs with the two-byte payload header and the FU header', () => {
    const big = nal([0x26, 0x01], 3000); // IDR_W_RADL
    const pieces = payloadH265([nal([0x40, 0x01], 24), nal([0x42, 0x01], 40), nal([0x44, 0x01], 8), nal([0x46, 0x01], 3), big], 1400);
    const fus = pieces.filter((p) => p.prefix.length === 3);
    assert.equal(pieces.length - fus.length, 3, 'VPS, SPS and PPS go whole, the AUD not at all');
    assert.deepEqual([...(fus[0]?.prefix ?? [])], [49 << 1, 0x01, 0x80 | 19]);
    assert.deepEqual([...(fus.at(-1)?.prefix ?? [])], [49 << 1, 0x01, 0x40 | 19]);
    for (const p of pieces) assert.ok(p.prefix.length + p.body.length <= 1400);
    assert.equal(pieces.at(-1)?.marker, true);
    const units = depacketizeVideo('h265', parseAll(datagrams(pieces)));
    assert.ok(Array.isArray(units), String(units));
    assert.equal(units[0]?.length, 4);
    assert.deepEqual(units[0]?.[3], big);
  });

  test('a whole clip goes through and comes back NAL unit for NAL unit', () => {
    const frames = framesOf(readMedia('h265-640x360.hevc'), 'h265');
    const sender = new RtpTrackSender({ payloadType: 96, ssrc: 1, firstSequence: 0, channel: 0 });
    const packets = frames.flatMap((f, i) => datagrams(payloadH265(splitAnnexB(f.data), 1000), sender, i * 3600));
    const units = depacketizeVideo('h265', parseAll(packets));
    assert.ok(Array.isArray(units), String(units));
    assert.deepEqual(units, frames.map((f) => splitAnnexB(f.data).filter((n) => (((n[0] ?? 0) >> 1) & 0x3f) !== 35)));
  });

  test('types the RTP format uses itself (48..63) and one-byte NAL units are left out', () => {
    assert.deepEqual(payloadH265([nal([0x60, 0x01], 10), nal([0x62, 0x01], 10), Buffer.from([0x02])], 1400), []);
  });
});

describe('AAC RTP payloads (RFC 3640, AAC-hbr)', () => {
  const adts = readMedia('aac-8k.aac');
  const frameLength = (((adts[3] ?? 0) & 3) << 11) | ((adts[4] ?? 0) << 3) | ((adts[5] ?? 0) >> 5);
  const frame = adts.subarray(0, frameLength);

  test('an ADTS frame loses its header and gains one AU-header with its size', () => {
    const pieces = payloadAac(frame, 1400);
    assert.equal(pieces.length, 1);
    const raw = frame.subarray(7);
    assert.deepEqual([...(pieces[0]?.prefix ?? [])], [0x00, 0x10, (raw.length << 3) >> 8, (raw.length << 3) & 0xff]);
    assert.deepEqual(pieces[0]?.body, raw);
    assert.equal(pieces[0]?.marker, true);
  });

  test('a frame larger than a packet is fragmented; every fragment carries the whole size, the marker only the last', () => {
    const raw = Buffer.alloc(3000, 7);
    const pieces = payloadAac(raw, 1000);
    assert.equal(pieces.length, 4);
    for (const p of pieces) assert.equal(p.prefix.readUInt16BE(2) >> 3, 3000);
    assert.deepEqual(pieces.map((p) => p.marker), [false, false, false, true]);
    assert.deepEqual(Buffer.concat(pieces.map((p) => p.body)), raw);
  });

  test('empty frames and frames beyond 13 bits of size give nothing', () => {
    assert.deepEqual(payloadAac(Buffer.alloc(0), 1400), []);
    assert.deepEqual(payloadAac(Buffer.alloc(9000), 1400), []);
  });
});

describe('G.711 RTP payloads', () => {
  test('samples go as they are, cut at the limit, each piece timed by the samples before it', () => {
    const samples = Buffer.alloc(3000, 0xd5);
    const pieces = payloadG711(samples, 1400);
    assert.deepEqual(pieces.map((p) => p.body.length), [1400, 1400, 200]);
    assert.deepEqual(pieces.map((p) => p.tsOffset), [0, 1400, 2800]);
    assert.ok(pieces.every((p) => p.prefix.length === 0 && !p.marker));
    const packets = parseAll(datagrams(pieces, new RtpTrackSender({ payloadType: 8, ssrc: 9, firstSequence: 10, channel: 2 }), 100));
    assert.deepEqual(packets.map((p) => p.timestamp), [100, 1500, 2900]);
    assert.deepEqual(packets.map((p) => p.payloadType), [8, 8, 8]);
  });
});

describe('RTP sender and RTCP', () => {
  test('sequence numbers run on across the 16-bit wrap; the interleaved header frames each packet', () => {
    const sender = new RtpTrackSender({ payloadType: 97, ssrc: 0xdeadbeef, firstSequence: 65535, channel: 4 });
    const packets = sender.packetize(payloadG711(Buffer.alloc(200), 64), 0xffffffff);
    const seqs = packets.map((p) => parseRtpPacket(Buffer.concat([p.head.subarray(4), p.body]))?.sequenceNumber);
    assert.deepEqual(seqs, [65535, 0, 1, 2]);
    for (const p of packets) {
      assert.equal(p.head[0], 0x24);
      assert.equal(p.head[1], 4);
      assert.equal(p.head.readUInt16BE(2), p.head.length - 4 + p.body.length);
    }
    assert.equal(sender.nextSequence, 3);
    assert.equal(sender.packets, 4);
    assert.equal(sender.octets, 200);
    assert.equal(parseRtpPacket(Buffer.concat([packets[1]!.head.subarray(4), packets[1]!.body]))?.timestamp, 63, 'timestamps wrap too');
  });

  test('a sender report carries NTP time, RTP time and the counts; a BYE names the source', () => {
    const sr = buildSenderReport({ ssrc: 0x01020304, wallMs: 1_700_000_000_500, rtpTimestamp: 0xfffffffe, packets: 7, octets: 1234 }, 1).subarray(4);
    assert.equal(sr.length, 28);
    assert.deepEqual([sr[0], sr[1], sr.readUInt16BE(2)], [0x80, 200, 6]);
    assert.equal(sr.readUInt32BE(4), 0x01020304);
    assert.equal(sr.readUInt32BE(8), 1_700_000_000 + 2208988800);
    assert.equal(sr.readUInt32BE(12), 0x80000000);
    assert.equal(sr.readUInt32BE(16), 0xfffffffe);
    assert.deepEqual([sr.readUInt32BE(20), sr.readUInt32BE(24)], [7, 1234]);
    const bye = buildBye(42, 3);
    assert.deepEqual([...bye.subarray(0, 4)], [0x24, 3, 0, 8]);
    assert.deepEqual([bye[4], bye[5], bye.readUInt16BE(6), bye.readUInt32BE(8)], [0x81, 203, 1, 42]);
  });
});
