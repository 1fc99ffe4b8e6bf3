/**
 * Shifting the timestamps inside a PS pack, so that a clip built once can loop with timestamps
 * that keep growing: only the pack header's SCR and the first PES header's PTS/DTS carry time,
 * and both sit in the first bytes of the pack (before the first RTP payload boundary).
 */
import { writePackHeader } from '../../src/media/ps/pack-header';
import { PTS_WRAP, readPts, writePts } from '../../src/media/ps/timestamp';

/** Where the time fields of one pack are, as offsets from the pack's first byte. */
export interface PackTimeFields {
  /** The pack header (its SCR is bytes 4..9). */
  packAt: number;
  /** 5-byte PTS and DTS fields of the first PES. */
  ptsAt: number[];
  /** One past the last byte that holds time: a payload shorter than this cannot be retimed. */
  end: number;
}

/** Finds the time fields of a pack as PsMuxer writes it (pack header, optional system header and PSM, then PES). */
export function packTimeFields(pack: Buffer): PackTimeFields | undefined {
  if (pack.length < 14 || pack.readUInt32BE(0) !== 0x1ba) return undefined;
  let p = 14 + ((pack[13] ?? 0) & 0x07);
  while (p + 9 <= pack.length && pack.readUIntBE(p, 3) === 1) {
    const id = pack[p + 3] ?? 0;
    if (id === 0xbb || id === 0xbc) {
      p += 6 + pack.readUInt16BE(p + 4);
      continue;
    }
    const flags = (pack[p + 7] ?? 0) >> 6;
    const ptsAt = flags === 3 ? [p + 9, p + 14] : flags === 2 ? [p + 9] : [];
    return { packAt: 0, ptsAt, end: Math.max(14, ...ptsAt.map((at) => at + 5)) };
  }
  return { packAt: 0, ptsAt: [], end: 14 };
}

/** Adds `delta` (90 kHz) to the SCR and PTS/DTS of a pack whose first bytes are `buf` (modified in place). */
export function shiftPackTime(buf: Buffer, fields: PackTimeFields, delta: number): void {
  const at = fields.packAt;
  const b4 = buf[at + 4] ?? 0;
  const b5 = buf[at + 5] ?? 0;
  const b6 = buf[at + 6] ?? 0;
  const b7 = buf[at + 7] ?? 0;
  const b8 = buf[at + 8] ?? 0;
  const scr =
    ((b4 >> 3) & 0x07) * 2 ** 30 + ((((b4 & 0x03) << 13) | (b5 << 5) | (b6 >> 3)) & 0x7fff) * 2 ** 15 + (((b6 & 0x03) << 13) | (b7 << 5) | (b8 >> 3));
  const muxRate = ((buf[at + 10] ?? 0) << 14) | ((buf[at + 11] ?? 0) << 6) | ((buf[at + 12] ?? 0) >> 2);
  const stuffing = buf[at + 13] ?? 0xf8;
  writePackHeader(buf, at, (scr + delta) % PTS_WRAP, muxRate);
  buf[at + 13] = stuffing;
  for (const p of fields.ptsAt) writePts(buf, p, (buf[p] ?? 0) >> 4, (readPts(buf, p) + delta) % PTS_WRAP);
}
