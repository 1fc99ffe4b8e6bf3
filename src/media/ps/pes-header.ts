import { readPts, writePts } from './timestamp';

/** What parsePesHeader found; reused between calls to avoid an allocation per PES. */
export interface PesHeaderInfo {
  /** Bytes from the start code to the first payload byte. */
  headerLength: number;
  /** Payload bytes, or -1 when PES_packet_length is 0 (unbounded video PES). */
  payloadLength: number;
  /** 33-bit PTS, or -1 when absent. */
  pts: number;
  /** 33-bit DTS, or -1 when absent. */
  dts: number;
}

export const NEED_MORE = 0;
export const INVALID = -1;

/**
 * Parses the PES header at `p` (00 00 01 <stream id> already checked), MPEG-2 or MPEG-1 syntax.
 * Returns the header length, NEED_MORE when the buffer ends inside it, or INVALID.
 */
export function parsePesHeader(buf: Buffer, p: number, out: PesHeaderInfo): number {
  const avail = buf.length - p;
  if (avail < 9) return NEED_MORE;
  const packetLength = buf.readUInt16BE(p + 4);
  const b6 = buf[p + 6] ?? 0;
  out.pts = -1;
  out.dts = -1;
  if ((b6 & 0xc0) === 0x80) {
    const flags = buf[p + 7] ?? 0;
    const dataLength = buf[p + 8] ?? 0;
    const headerLength = 9 + dataLength;
    if (packetLength !== 0 && packetLength < 3 + dataLength) return INVALID;
    if (avail < headerLength) return NEED_MORE;
    const ptsDts = flags >> 6;
    if (ptsDts === 1) return INVALID;
    if (ptsDts >= 2) {
      if (dataLength < 5) return INVALID;
      out.pts = readPts(buf, p + 9);
      if (ptsDts === 3 && dataLength >= 10) out.dts = readPts(buf, p + 14);
    }
    out.headerLength = headerLength;
    out.payloadLength = packetLength === 0 ? -1 : packetLength - 3 - dataLength;
    return headerLength;
  }
  return parseMpeg1PesHeader(buf, p, packetLength, out);
}

/** ISO/IEC 11172-1 2.4.3.3: stuffing, optional STD buffer, then PTS, PTS+DTS or 0x0F. */
function parseMpeg1PesHeader(buf: Buffer, p: number, packetLength: number, out: PesHeaderInfo): number {
  let q = p + 6;
  let stuffing = 0;
  while (q < buf.length && buf[q] === 0xff) {
    if (++stuffing > 16) return INVALID;
    q++;
  }
  if (q >= buf.length) return NEED_MORE;
  if (((buf[q] ?? 0) & 0xc0) === 0x40) q += 2;
  if (q >= buf.length) return NEED_MORE;
  const marker = (buf[q] ?? 0) >> 4;
  if (marker === 2) {
    if (q + 5 > buf.length) return NEED_MORE;
    out.pts = readPts(buf, q);
    q += 5;
  } else if (marker === 3) {
    if (q + 10 > buf.length) return NEED_MORE;
    out.pts = readPts(buf, q);
    out.dts = readPts(buf, q + 5);
    q += 10;
  } else if (buf[q] === 0x0f) {
    q += 1;
  } else {
    return INVALID;
  }
  const headerLength = q - p;
  if (packetLength !== 0 && packetLength < headerLength - 6) return INVALID;
  out.headerLength = headerLength;
  out.payloadLength = packetLength === 0 ? -1 : packetLength - (headerLength - 6);
  return headerLength;
}

/**
 * Writes an MPEG-2 PES header for `payloadLength` bytes at `at`; `pts`/`dts` < 0 are omitted
 * (DTS also when equal to PTS). Returns the header length.
 */
export function writePesHeader(buf: Buffer, at: number, streamId: number, payloadLength: number, pts: number, dts: number): number {
  const withDts = pts >= 0 && dts >= 0 && dts !== pts;
  const dataLength = pts < 0 ? 0 : withDts ? 10 : 5;
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = 1;
  buf[at + 3] = streamId;
  buf.writeUInt16BE(Math.min(0xffff, 3 + dataLength + payloadLength), at + 4);
  buf[at + 6] = 0x80;
  buf[at + 7] = pts < 0 ? 0 : withDts ? 0xc0 : 0x80;
  buf[at + 8] = dataLength;
  if (pts >= 0) writePts(buf, at + 9, withDts ? 3 : 2, pts);
  if (withDts) writePts(buf, at + 14, 1, dts);
  return 9 + dataLength;
}

export function pesHeaderLength(pts: number, dts: number): number {
  return 9 + (pts < 0 ? 0 : pts >= 0 && dts >= 0 && dts !== pts ? 10 : 5);
}
