import { PTS_WRAP, readPts } from '../ps/timestamp';

/** One PES packet (ISO/IEC 13818-1 2.4.3.6) as collected from the TS packets of its PID. */
export interface PesPacket {
  /** 33-bit PTS as carried, -1 when absent. */
  pts: number;
  /** 33-bit DTS as carried; equal to `pts` when absent. */
  dts: number;
  payload: Buffer;
  /** PES_packet_length promised more bytes than arrived. */
  truncated: boolean;
}

/**
 * Reads a whole PES packet (MPEG-2 syntax, what TS carries), or null when the bytes are not
 * one. Bytes past PES_packet_length are not payload. Pure: views into `data`, no copies.
 */
export function readPesPacket(data: Buffer): PesPacket | null {
  if (data.length < 9 || data[0] !== 0 || data[1] !== 0 || data[2] !== 1) return null;
  if (((data[6] ?? 0) & 0xc0) !== 0x80) return null;
  const flags = (data[7] ?? 0) >> 6;
  const headerDataLength = data[8] ?? 0;
  const payloadStart = 9 + headerDataLength;
  if (flags === 1 || payloadStart > data.length) return null;
  let pts = -1;
  let dts = -1;
  if (flags >= 2) {
    if (headerDataLength < 5) return null;
    pts = readPts(data, 9);
    dts = flags === 3 && headerDataLength >= 10 ? readPts(data, 14) : pts;
  }
  const declared = data.readUInt16BE(4);
  const end = declared === 0 ? data.length : Math.min(data.length, 6 + declared);
  if (end < payloadStart) return null;
  return { pts, dts, payload: data.subarray(payloadStart, end), truncated: declared !== 0 && 6 + declared > data.length };
}

/** `pts - dts` of 33-bit values as a small signed number (the composition offset). */
export function compositionOffset(pts: number, dts: number): number {
  let d = pts - dts;
  if (d > PTS_WRAP / 2) d -= PTS_WRAP;
  else if (d < -PTS_WRAP / 2) d += PTS_WRAP;
  return d;
}
