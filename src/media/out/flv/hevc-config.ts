import { removeEmulationPrevention } from '../../codec/bit-reader';
import { parseH265Sps } from '../../codec/h265-sps';
import { H265 } from '../../codec/nal-unit';

/**
 * The HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) for one VPS, SPS and PPS with
 * 4-byte NAL lengths. Profile, tier and level bytes are copied from the SPS; chroma bit depth
 * is taken equal to luma bit depth (the SPS parser reads only the latter, and cameras use 8/8).
 */
export function hevcDecoderConfigurationRecord(vps: Buffer, sps: Buffer, pps: Buffer): Buffer {
  const out = Buffer.allocUnsafe(hevcConfigSize(vps, sps, pps));
  writeHevcConfig(out, 0, vps, sps, pps);
  return out;
}

const FIXED_SIZE = 23;
const ARRAY_OVERHEAD = 3 + 2; // type, numNalus, nalUnitLength

export function hevcConfigSize(vps: Buffer, sps: Buffer, pps: Buffer): number {
  return FIXED_SIZE + 3 * ARRAY_OVERHEAD + vps.length + sps.length + pps.length;
}

/** Writes the record at `offset`; returns the offset after it. */
export function writeHevcConfig(out: Buffer, offset: number, vps: Buffer, sps: Buffer, pps: Buffer): number {
  // RBSP bytes 0..12 after the 2-byte NAL header: sub-layer fields, then general profile_tier_level.
  const rbsp = removeEmulationPrevention(sps, 2, Math.min(sps.length, 2 + 20));
  const parsed = parseH265Sps(sps);
  const b0 = rbsp[0] ?? 0;
  const maxSubLayersMinus1 = (b0 >> 1) & 7;
  const temporalIdNesting = b0 & 1;
  const chromaFormat = parsed?.chromaFormatIdc ?? 1;
  const bitDepthMinus8 = Math.max(0, (parsed?.bitDepth ?? 8) - 8) & 7;

  let at = offset;
  out[at++] = 1; // configurationVersion
  for (let i = 1; i <= 12; i++) out[at++] = rbsp[i] ?? 0; // profile/tier/idc, compat flags, constraint flags, level
  at = out.writeUInt16BE(0xf000, at); // reserved + min_spatial_segmentation_idc 0
  out[at++] = 0xfc; // reserved + parallelismType 0 (unknown)
  out[at++] = 0xfc | (chromaFormat & 3);
  out[at++] = 0xf8 | bitDepthMinus8; // luma
  out[at++] = 0xf8 | bitDepthMinus8; // chroma
  at = out.writeUInt16BE(0, at); // avgFrameRate unspecified
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne = 3
  out[at++] = (((maxSubLayersMinus1 + 1) & 7) << 3) | (temporalIdNesting << 2) | 3;
  out[at++] = 3; // numOfArrays
  at = writeArray(out, at, H265.VPS, vps);
  at = writeArray(out, at, H265.SPS, sps);
  at = writeArray(out, at, H265.PPS, pps);
  return at;
}

function writeArray(out: Buffer, offset: number, type: number, nal: Buffer): number {
  let at = offset;
  out[at++] = 0x80 | type; // array_completeness 1: every set of this type is here
  at = out.writeUInt16BE(1, at); // numNalus
  at = out.writeUInt16BE(nal.length, at);
  return at + nal.copy(out, at);
}
