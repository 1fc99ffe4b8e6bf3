import { joinAnnexB, splitAccessUnits, splitAnnexB } from '../../../src/media/codec/annexb';
import { isRandomAccessNal, nalType } from '../../../src/media/codec/nal-unit';
import type { AccessUnit, MediaParams, VideoCodec } from '../../../src/media/codec/types';
import { PsDemuxer } from '../../../src/media/ps/demuxer';
import { PsMuxer } from '../../../src/media/ps/muxer';
import { writePackHeader } from '../../../src/media/ps/pack-header';
import { writePesHeader } from '../../../src/media/ps/pes-header';
import { splitPayloads } from '../../../src/media/ps/rtp-packetizer';
import { writeSystemHeader } from '../../../src/media/ps/system-header';

export interface SourceFrame {
  data: Buffer;
  keyframe: boolean;
  pts: number;
}

/** Access units of an Annex B file, timed at 25 fps from `firstPts`. */
export function framesOf(es: Buffer, codec: VideoCodec, firstPts = 90000): SourceFrame[] {
  return splitAccessUnits(es, codec).map((data, i) => ({
    data,
    keyframe: splitAnnexB(data).some((n) => isRandomAccessNal(codec, nalType(codec, n[0] ?? 0))),
    pts: firstPts + i * 3600,
  }));
}

/** One PS pack per frame, as PsMuxer writes them. */
export function muxFrames(frames: readonly SourceFrame[], codec: VideoCodec): Buffer[] {
  const muxer = new PsMuxer({ videoCodec: codec });
  return frames.map((f) => muxer.muxVideo({ data: f.data, pts: f.pts, keyframe: f.keyframe }));
}

export type MarkerMode = 'last' | 'none' | 'all';

export interface FeedOptions {
  payloadSize?: number;
  marker?: MarkerMode;
}

/** Feeds packs as RTP payloads would arrive: cut at `payloadSize`, one timestamp per pack. */
export function feed(demuxer: PsDemuxer, packs: readonly Buffer[], timestamps: readonly number[], options: FeedOptions = {}): void {
  const mode = options.marker ?? 'last';
  packs.forEach((pack, i) => {
    const payloads = splitPayloads(pack, options.payloadSize ?? 1400);
    payloads.forEach((p, j) => {
      const marker = mode === 'all' || (mode === 'last' && j === payloads.length - 1);
      demuxer.push(p, (timestamps[i] ?? 0) >>> 0, marker);
    });
  });
}

export interface Demuxed {
  frames: AccessUnit[];
  params: MediaParams[];
  demuxer: PsDemuxer;
}

export function collectingDemuxer(): Demuxed {
  const frames: AccessUnit[] = [];
  const params: MediaParams[] = [];
  const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f), onParams: (p) => params.push(p) });
  return { frames, params, demuxer };
}

/** Demuxes packs fed as RTP payloads; flushes at the end. */
export function demuxPacks(packs: readonly Buffer[], timestamps: readonly number[], options: FeedOptions = {}): Demuxed {
  const d = collectingDemuxer();
  feed(d.demuxer, packs, timestamps, options);
  d.demuxer.flush();
  return d;
}

// Hand-made PS pieces for the field quirks.

export function packHeader(scr: number, stuffing: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(14 + stuffing.length);
  writePackHeader(b, 0, scr, 5000);
  b[13] = 0xf8 | (stuffing.length & 7);
  stuffing.copy(b, 14);
  return b;
}

/** A PES; `lengthField` overrides PES_packet_length (0 = unbounded, or a lie). */
export function pes(streamId: number, payload: Buffer, pts = -1, lengthField?: number): Buffer {
  const header = Buffer.alloc(pts >= 0 ? 14 : 9);
  writePesHeader(header, 0, streamId, payload.length, pts, -1);
  if (lengthField !== undefined) header.writeUInt16BE(lengthField, 4);
  return Buffer.concat([header, payload]);
}

/** A packet with only a 6-byte header (system header, PSM, private streams, padding). */
export function rawPacket(streamId: number, body: Buffer): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt32BE(0x100 | streamId, 0);
  b.writeUInt16BE(body.length, 4);
  return Buffer.concat([b, body]);
}

/** A PSM body as devices write it: optional descriptors and a map length that may lie. */
export function psm(entries: [number, number][], options: { version?: number; mapLength?: number; descriptors?: Buffer } = {}): Buffer {
  const descriptors = options.descriptors ?? Buffer.alloc(0);
  const map = Buffer.concat(
    entries.map(([type, id]) => {
      const e = Buffer.alloc(4 + descriptors.length);
      e[0] = type;
      e[1] = id;
      e.writeUInt16BE(descriptors.length, 2);
      descriptors.copy(e, 4);
      return e;
    }),
  );
  const head = Buffer.alloc(6);
  head[0] = 0x80 | ((options.version ?? 0) & 0x1f);
  head[1] = 0xff;
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(options.mapLength ?? map.length, 4);
  return rawPacket(0xbc, Buffer.concat([head, map, Buffer.from([0xde, 0xad, 0xbe, 0xef])]));
}

/** The NAL units of frames, for byte-exact comparison. */
export function nalsOf(frames: readonly { data: Buffer }[]): Buffer[][] {
  return frames.map((f) => splitAnnexB(f.data));
}

/** A system header for H.264 on 0xE0 and G.711 on 0xC0, as devices send with key frames. */
export function deviceSystemHeader(): Buffer {
  const b = Buffer.alloc(18);
  return b.subarray(0, writeSystemHeader(b, 0, 5000, [{ streamId: 0xe0, bufferBytes: 1 << 20 }, { streamId: 0xc0, bufferBytes: 4096 }]));
}

export const H264_G711A_PSM = psm([
  [0x1b, 0xe0],
  [0x90, 0xc0],
]);

export interface DevicePackOptions {
  stuffing?: Buffer;
  /** PSM for key frames; null for none. Default: H.264 video + G.711A audio. */
  psm?: Buffer | null;
  systemHeader?: boolean;
  /** One PES per NAL unit, each with the frame's PTS (Hikvision style). */
  perNal?: boolean;
  /** PES_packet_length 0 for video. */
  unbounded?: boolean;
  /** Packets placed after the pack header (and system header and PSM), before the video. */
  extra?: Buffer[];
}

/** A pack the way devices build them, from a frame's NAL units. */
export function devicePack(frame: SourceFrame, o: DevicePackOptions = {}): Buffer {
  const parts: Buffer[] = [packHeader(frame.pts, o.stuffing)];
  if (frame.keyframe) {
    if (o.systemHeader ?? true) parts.push(deviceSystemHeader());
    const map = o.psm === undefined ? H264_G711A_PSM : o.psm;
    if (map) parts.push(map);
  }
  parts.push(...(o.extra ?? []));
  const payloads = o.perNal ? splitAnnexB(frame.data).map((n) => joinAnnexB([n])) : [frame.data];
  for (const p of payloads) parts.push(pes(0xe0, p, frame.pts, o.unbounded ? 0 : undefined));
  return Buffer.concat(parts);
}
