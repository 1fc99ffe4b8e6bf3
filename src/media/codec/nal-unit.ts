import { BitReader, removeEmulationPrevention } from './bit-reader';
import type { VideoCodec } from './types';

/** NAL unit types used by the demuxer (H.264 Table 7-1, H.265 Table 7-1). */
export const H264 = { SLICE: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;
export const H265 = { IDR_W_RADL: 19, CRA: 21, VPS: 32, SPS: 33, PPS: 34, AUD: 35, PREFIX_SEI: 39 } as const;

/** The NAL unit type from the first header byte(s). */
export function nalType(codec: VideoCodec, headerByte: number): number {
  return codec === 'h264' ? headerByte & 0x1f : (headerByte >> 1) & 0x3f;
}

export function isVclNal(codec: VideoCodec, type: number): boolean {
  return codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
}

/** IDR for H.264; any IRAP (BLA, IDR, CRA) for H.265: a decoder can start there. */
export function isRandomAccessNal(codec: VideoCodec, type: number): boolean {
  return codec === 'h264' ? type === H264.IDR : type >= 16 && type <= 21;
}

/**
 * Whether this NAL unit opens a new access unit, given that the current one already holds a
 * picture's slice (H.264 7.4.1.2.3, H.265 7.4.2.4.4). `nal` starts at the NAL header.
 */
export function startsAccessUnit(codec: VideoCodec, nal: Buffer, start: number, end: number, vclSeen: boolean): boolean {
  if (!vclSeen || end - start < 2) return false;
  const b0 = nal[start] ?? 0;
  if (codec === 'h264') {
    const t = b0 & 0x1f;
    if (t >= 1 && t <= 5) return ((nal[start + 1] ?? 0) & 0x80) !== 0; // first_mb_in_slice == 0
    return t === 6 || t === 7 || t === 8 || t === 9 || (t >= 14 && t <= 18);
  }
  const t = (b0 >> 1) & 0x3f;
  if (t <= 31) return end - start >= 3 && ((nal[start + 2] ?? 0) & 0x80) !== 0; // first_slice_segment_in_pic_flag
  return (t >= 32 && t <= 35) || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
}

/** slice_type of an H.264 slice NAL (0..9), or -1 if unreadable. */
export function h264SliceType(nal: Buffer, start: number, end: number): number {
  const r = new BitReader(removeEmulationPrevention(nal, start + 1, Math.min(end, start + 16)));
  r.readUE(); // first_mb_in_slice
  const sliceType = r.readUE();
  return r.overrun || sliceType > 9 ? -1 : sliceType;
}

/**
 * Evidence for which codec produced a NAL header: 2 for a parameter set or random access point
 * that only one codec can have produced, 1 for any other header only one codec allows, 0 when
 * both or neither allow it. Positive means H.265, negative means H.264.
 */
export function codecEvidence(b0: number, b1: number): number {
  const h264 = plausibleH264(b0);
  const h265 = plausibleH265(b0, b1);
  if (h264 === h265) return 0;
  if (h265) {
    const t = (b0 >> 1) & 0x3f;
    return (t >= 32 && t <= 34) || (t >= 16 && t <= 21) ? 2 : 1;
  }
  const t = b0 & 0x1f;
  return t === 7 || t === 8 || t === 5 ? -2 : -1;
}

function plausibleH264(b0: number): boolean {
  if (b0 & 0x80) return false;
  const t = b0 & 0x1f;
  const ref = (b0 >> 5) & 3;
  if (t === 1) return true;
  if (t === 5 || t === 7 || t === 8) return ref !== 0;
  return (t === 6 || t === 9 || t === 10 || t === 11 || t === 12) && ref === 0;
}

function plausibleH265(b0: number, b1: number): boolean {
  if ((b0 & 0x81) !== 0 || (b1 & 0xf8) !== 0 || (b1 & 7) === 0) return false; // base layer, TemporalId >= 0
  const t = (b0 >> 1) & 0x3f;
  return t <= 9 || (t >= 16 && t <= 21) || (t >= 32 && t <= 40);
}
