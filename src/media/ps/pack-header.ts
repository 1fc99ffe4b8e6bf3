import { PTS_WRAP } from './timestamp';

/**
 * Length of the pack header at `p` (00 00 01 BA already checked): 14 + stuffing for MPEG-2,
 * 12 for MPEG-1. 0 when more bytes are needed, -1 when it is neither.
 */
export function packHeaderLength(buf: Buffer, p: number): number {
  if (buf.length - p < 5) return 0;
  const b4 = buf[p + 4] ?? 0;
  if ((b4 & 0xc0) === 0x40) {
    if (buf.length - p < 14) return 0;
    return 14 + ((buf[p + 13] ?? 0) & 0x07);
  }
  if ((b4 & 0xf0) === 0x20) return 12;
  return -1;
}

export const PACK_HEADER_LENGTH = 14;

/**
 * Writes an MPEG-2 pack header (no stuffing) with SCR = `scr` (90 kHz base, extension 0) and
 * `muxRate` in units of 50 bytes/s. Returns 14.
 */
export function writePackHeader(buf: Buffer, at: number, scr: number, muxRate: number): number {
  const base = ((scr % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  const high = Math.floor(base / 2 ** 30) & 0x07; // bits 32..30
  const mid = Math.floor(base / 2 ** 15) & 0x7fff; // bits 29..15
  const low = base & 0x7fff; // bits 14..0
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = 1;
  buf[at + 3] = 0xba;
  buf[at + 4] = 0x40 | (high << 3) | 0x04 | (mid >> 13);
  buf[at + 5] = (mid >> 5) & 0xff;
  buf[at + 6] = ((mid & 0x1f) << 3) | 0x04 | (low >> 13);
  buf[at + 7] = (low >> 5) & 0xff;
  buf[at + 8] = ((low & 0x1f) << 3) | 0x04; // SCR extension high bits = 0
  buf[at + 9] = 0x01; // SCR extension low bits = 0, marker
  const rate = muxRate & 0x3fffff;
  buf[at + 10] = rate >> 14;
  buf[at + 11] = (rate >> 6) & 0xff;
  buf[at + 12] = ((rate & 0x3f) << 2) | 0x03;
  buf[at + 13] = 0xf8; // reserved, stuffing length 0
  return PACK_HEADER_LENGTH;
}
