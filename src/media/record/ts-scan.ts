import { PTS_WRAP, readPts } from '../ps/timestamp';

/**
 * A small MPEG-2 TS reader for files the recorder wrote (ISO/IEC 13818-1 2.4.3): enough to find
 * the program, the PES starts with their PTS and random-access flags, and to cut a damaged tail.
 * Pure and total: never throws, never reads past the buffer.
 */
const PACKET = 188;
const SYNC = 0x47;

export interface TsStream {
  pid: number;
  streamType: number;
}

export interface PesStart {
  pid: number;
  /** Byte offset of the TS packet that starts the PES. */
  offset: number;
  /** 90 kHz, as carried (33 bits, may wrap); -1 when the header has none. */
  pts: number;
  randomAccess: boolean;
}

export interface TsScan {
  /** Bytes of the longest prefix made of whole packets that each start with the sync byte. */
  validLength: number;
  /** Streams of the first PMT seen, or null when there was none. */
  streams: TsStream[] | null;
  pesStarts: PesStart[];
}

interface PacketView {
  pid: number;
  unitStart: boolean;
  randomAccess: boolean;
  payloadStart: number;
}

function viewPacket(buf: Buffer, at: number): PacketView | null {
  if (buf[at] !== SYNC || at + PACKET > buf.length) return null;
  const b1 = buf[at + 1] ?? 0;
  const control = ((buf[at + 3] ?? 0) >> 4) & 3;
  let payloadStart = at + 4;
  let randomAccess = false;
  if (control & 2) {
    const length = buf[at + 4] ?? 0;
    if (length > 0) randomAccess = ((buf[at + 5] ?? 0) & 0x40) !== 0;
    payloadStart = at + 5 + length;
  }
  if (!(control & 1) || payloadStart > at + PACKET) payloadStart = at + PACKET;
  return { pid: ((b1 & 0x1f) << 8) | (buf[at + 2] ?? 0), unitStart: (b1 & 0x40) !== 0, randomAccess, payloadStart };
}

/** The section of a PSI packet (from table_id), or null when it does not fit the packet. */
function sectionOf(buf: Buffer, p: PacketView, end: number): Buffer | null {
  if (!p.unitStart || p.payloadStart >= end) return null;
  const start = p.payloadStart + 1 + (buf[p.payloadStart] ?? 0);
  if (start + 3 > end) return null;
  const length = (((buf[start + 1] ?? 0) & 0x0f) << 8) | (buf[start + 2] ?? 0);
  return start + 3 + length <= end ? buf.subarray(start, start + 3 + length) : null;
}

function pmtPidOf(section: Buffer): number {
  // Program loop: 4 bytes per program after the 8-byte header, the 4-byte CRC last.
  for (let q = 8; q + 4 <= section.length - 4; q += 4) {
    const program = section.readUInt16BE(q);
    if (program !== 0) return section.readUInt16BE(q + 2) & 0x1fff;
  }
  return -1;
}

function streamsOf(section: Buffer): TsStream[] {
  if (section.length < 16) return [];
  const infoLength = section.readUInt16BE(10) & 0x0fff;
  const streams: TsStream[] = [];
  for (let q = 12 + infoLength; q + 5 <= section.length - 4; ) {
    streams.push({ streamType: section[q] ?? 0, pid: section.readUInt16BE(q + 1) & 0x1fff });
    q += 5 + (section.readUInt16BE(q + 3) & 0x0fff);
  }
  return streams;
}

function ptsOf(buf: Buffer, at: number, end: number): number {
  if (at + 14 > end || buf[at] !== 0 || buf[at + 1] !== 0 || buf[at + 2] !== 1) return -1;
  return ((buf[at + 7] ?? 0) & 0x80) !== 0 ? readPts(buf, at + 9) : -1;
}

/** `streams` stands in for the PMT when scanning a piece cut from the middle of a file. */
export function scanTs(buf: Buffer, knownStreams: TsStream[] | null = null): TsScan {
  let pmtPid = -1;
  let streams: TsStream[] | null = knownStreams;
  const pesStarts: PesStart[] = [];
  let at = 0;
  for (; at + PACKET <= buf.length; at += PACKET) {
    const p = viewPacket(buf, at);
    if (!p) break;
    const end = at + PACKET;
    if (p.pid === 0 && pmtPid < 0) {
      const s = sectionOf(buf, p, end);
      if (s && s[0] === 0x00) pmtPid = pmtPidOf(s);
    } else if (p.pid === pmtPid && streams === null) {
      const s = sectionOf(buf, p, end);
      if (s && s[0] === 0x02) streams = streamsOf(s);
    } else if (p.unitStart && streams?.some((s) => s.pid === p.pid)) {
      pesStarts.push({ pid: p.pid, offset: at, pts: ptsOf(buf, p.payloadStart, end), randomAccess: p.randomAccess });
    }
  }
  return { validLength: at, streams, pesStarts };
}

/** The elementary-stream bytes of the PES whose first packet is at `offset` (PES header removed). */
export function pesPayloadAt(buf: Buffer, offset: number, pid: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = offset; at + PACKET <= buf.length; at += PACKET) {
    const p = viewPacket(buf, at);
    if (!p) break;
    if (p.pid !== pid) continue;
    if (p.unitStart && at !== offset) break;
    parts.push(buf.subarray(p.payloadStart, at + PACKET));
  }
  const pes = Buffer.concat(parts);
  if (pes.length < 9 || pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) return Buffer.alloc(0);
  return pes.subarray(Math.min(pes.length, 9 + (pes[8] ?? 0)));
}

/** `later - earlier` in 90 kHz ticks across a 33-bit wrap (a step back reads as negative). */
export function ptsDelta(earlier: number, later: number): number {
  const d = (((later - earlier) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  return d < PTS_WRAP / 2 ? d : d - PTS_WRAP;
}
