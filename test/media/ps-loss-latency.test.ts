import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessUnit } from '../../src/media/codec/types';
import { PsDemuxer } from '../../src/media/ps/demuxer';
import { RtpPsPacketizer } from '../../src/media/ps/rtp-packetizer';
import { parseRtpPacket, type RtpPacket } from '../../src/media/rtp/packet';
import { RtpReorderBuffer } from '../../src/media/rtp/reorder';
import { framesOf, muxFrames, type SourceFrame } from './helpers/ps-stream';
import { hasFfmpeg, readMedia } from './helpers/media-files';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

interface SentPacket {
  packet: RtpPacket;
  frame: number;
}

/** The clip as a camera with honest markers sends it: every frame cut into 100-byte RTP packets, marker on the last. */
function honestStream(): { src: SourceFrame[]; sent: SentPacket[] } {
  const src = framesOf(readMedia('h264-640x360.h264'), 'h264');
  const packetizer = new RtpPsPacketizer({ ssrc: 7, initialSequenceNumber: 65500, maxPayload: 100 });
  const sent = muxFrames(src, 'h264').flatMap((pack, frame) =>
    packetizer.packetize(pack, src[frame]?.pts ?? 0).map((raw) => ({ packet: parseRtpPacket(raw) as RtpPacket, frame })),
  );
  return { src, sent };
}

type Emitted = Map<number, AccessUnit[]>;

/** Records the video frames out so far each time a marker packet has been pushed (no flush: what a live viewer has by then). */
function recorder(): { demuxer: PsDemuxer; afterPush(packet: SentPacket): void; emitted: Emitted } {
  const frames: AccessUnit[] = [];
  const demuxer = new PsDemuxer({ onFrame: (f) => f.kind === 'video' && frames.push(f) });
  const emitted: Emitted = new Map();
  const afterPush = ({ packet, frame }: SentPacket): void => {
    if (packet.marker) emitted.set(frame, [...frames]);
  };
  return { demuxer, emitted, afterPush };
}

/** The demuxer alone: the packets at `lost` are missing and discontinuity() comes where the gap was, as the ingest reports it. */
function receiveDirect(sent: readonly SentPacket[], lost: readonly number[]): { emitted: Emitted; demuxer: PsDemuxer } {
  const r = recorder();
  sent.forEach((s, i) => {
    if (lost.includes(i)) return;
    if (lost.includes(i - 1)) r.demuxer.discontinuity();
    r.demuxer.push(s.packet.payload, s.packet.timestamp, s.packet.marker);
    r.afterPush(s);
  });
  return { emitted: r.emitted, demuxer: r.demuxer };
}

/** Through the reorder buffer into the demuxer, wired as the ingest wires them (the reorder holds packets back until it gives the gap up). */
function receiveReordered(sent: readonly SentPacket[], lost: readonly number[]): { emitted: Emitted; demuxer: PsDemuxer; reorder: RtpReorderBuffer } {
  const r = recorder();
  const reorder = new RtpReorderBuffer({ onPacket: (p) => r.demuxer.push(p.payload, p.timestamp, p.marker), onLoss: () => r.demuxer.discontinuity(), now: () => 0 });
  sent.forEach((s, i) => {
    if (lost.includes(i)) return;
    reorder.push(s.packet);
    r.afterPush(s);
  });
  return { emitted: r.emitted, demuxer: r.demuxer, reorder };
}

/** After the marker packet of each frame from `from` on, that frame is the last one out and all before it (but the lost ones) are out too. */
function assertNoLag(src: readonly SourceFrame[], emitted: Emitted, from: number, lostFrames: number): void {
  for (let i = from; i < src.length; i++) {
    const out = emitted.get(i) ?? [];
    assert.equal(out.length, i + 1 - lostFrames, `frames out after the marker of frame ${i}`);
    const last = out[out.length - 1];
    assert.ok(last, `frame ${i}: nothing out yet`);
    assert.equal(last.pts, src[i]?.pts, `frame ${i} is out when its marker arrives`);
    assert.ok(last.data.equals(src[i]?.data as Buffer), `frame ${i} bytes`);
    assert.equal(last.keyframe, src[i]?.keyframe);
  }
}

describe('PS demuxer latency after RTP loss', () => {
  const hitFrame = 12;
  const cases: [string, (packets: number[]) => number][] = [
    ['a packet in the middle of a frame', (packets) => packets[Math.floor(packets.length / 2)] as number],
    ['the first packet of a frame (its pack header)', (packets) => packets[0] as number],
    ['the marker packet that ends a frame', (packets) => packets[packets.length - 1] as number],
  ];
  for (const [where, choose] of cases) {
    test(`${where} is lost, markers are honest: every later frame is emitted when its marker packet arrives`, { skip }, () => {
      const { src, sent } = honestStream();
      const ofHitFrame = sent.flatMap((s, i) => (s.frame === hitFrame ? [i] : []));
      assert.ok(ofHitFrame.length >= 3, 'the hit frame spans several packets');
      const lost = choose(ofHitFrame);
      // A frame whose beginning never arrived was never started, so it does not count as dropped.
      const droppedFrames = where.startsWith('the first') ? 0 : 1;
      const direct = receiveDirect(sent, [lost]);
      assertNoLag(src, direct.emitted, hitFrame + 1, 1);
      assert.equal(direct.demuxer.markerIsTrusted, true, 'honest markers stay trusted through the loss');
      assert.equal(direct.demuxer.stats.framesDropped, droppedFrames);

      const firstKeyAfterLoss = src.findIndex((f, i) => i > hitFrame && f.keyframe);
      assert.ok(firstKeyAfterLoss > hitFrame);
      const reordered = receiveReordered(sent, [lost]);
      assert.equal(reordered.reorder.stats.lost, 1);
      assertNoLag(src, reordered.emitted, firstKeyAfterLoss, 1);
      assert.equal(reordered.demuxer.markerIsTrusted, true);
    });
  }

  test('a packet lost in every fifth frame: honest markers are never distrusted and no frame waits for the next', { skip }, () => {
    const { src, sent } = honestStream();
    const lost: number[] = [];
    for (let f = 3; f < src.length; f += 5) {
      const ofFrame = sent.flatMap((s, i) => (s.frame === f ? [i] : []));
      lost.push(ofFrame[Math.floor(ofFrame.length / 3)] as number);
    }
    const { emitted, demuxer } = receiveDirect(sent, lost);
    assert.equal(demuxer.markerIsTrusted, true);
    const hit = new Set(lost.map((i) => sent[i]?.frame));
    for (let i = 0; i < src.length; i++) {
      if (hit.has(i)) continue;
      assert.equal(emitted.get(i)?.at(-1)?.pts, src[i]?.pts, `frame ${i} is out when its marker arrives`);
    }
    assert.equal(emitted.get(src.length - 1)?.length, src.length - hit.size, 'the stream\'s last frame is out without a flush');
  });

  test('a device that sets the marker on every packet is still found out when its stream has losses', { skip }, () => {
    const { src, sent } = honestStream();
    const lying = sent.map((s) => ({ ...s, packet: { ...s.packet, marker: true } }));
    const lost = [1, 2, 3].map((k) => lying.findIndex((s) => s.frame === 2 + k * 10) + 1);
    const { emitted, demuxer } = receiveDirect(lying, lost);
    assert.equal(demuxer.markerIsTrusted, false);
    demuxer.flush();
    assert.equal(demuxer.stats.videoFrames, src.length - lost.length, 'frames end at the next frame instead');
    assert.ok((emitted.get(src.length - 1)?.length ?? 0) < src.length - lost.length, 'the last frame waited for the flush');
  });
});
