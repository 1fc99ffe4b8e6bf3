import { BitReader, removeEmulationPrevention } from './bit-reader';

export interface H264Sps {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepth: number;
  width: number;
  height: number;
  frameMbsOnly: boolean;
  fps?: number;
}

/** Profiles whose SPS carries chroma format, bit depth and scaling matrices (H.264 7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      next = (last + r.readSE() + 256) % 256;
      if (r.overrun) return;
    }
    last = next === 0 ? last : next;
  }
}

/**
 * Parses an H.264 sequence parameter set NAL unit (header byte included, no start code).
 * Returns null for anything that is not a well-formed SPS.
 */
export function parseH264Sps(nal: Buffer): H264Sps | null {
  if (nal.length < 4 || ((nal[0] ?? 0) & 0x9f) !== 7) return null;
  const r = new BitReader(removeEmulationPrevention(nal, 1));
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUE();
  if (spsId > 31) return null;
  let chromaFormatIdc = 1;
  let bitDepth = 8;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUE();
    if (chromaFormatIdc > 3) return null;
    if (chromaFormatIdc === 3) separateColourPlane = r.readBit();
    bitDepth = r.readUE() + 8;
    r.readUE(); // bit_depth_chroma_minus8
    r.readBit(); // qpprime_y_zero_transform_bypass_flag
    if (r.readBit()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists && !r.overrun; i++) {
        if (r.readBit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.readUE(); // log2_max_frame_num_minus4
  const pocType = r.readUE();
  if (pocType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.readBit(); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) return null;
    for (let i = 0; i < cycle && !r.overrun; i++) r.readSE();
  } else if (pocType !== 2) {
    return null;
  }
  r.readUE(); // max_num_ref_frames
  r.readBit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUE() + 1;
  const heightMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readBit() === 1;
  if (!frameMbsOnly) r.readBit(); // mb_adaptive_frame_field_flag
  r.readBit(); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.readBit()) {
    cropLeft = r.readUE();
    cropRight = r.readUE();
    cropTop = r.readUE();
    cropBottom = r.readUE();
  }
  if (r.overrun) return null;
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return null;
  const sps: H264Sps = { profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepth, width, height, frameMbsOnly };
  const fps = r.readBit() ? readVuiFps(r) : undefined;
  if (fps !== undefined) sps.fps = fps;
  return sps;
}

/** Reads the VUI up to timing_info; returns undefined when it is absent or implausible. */
function readVuiFps(r: BitReader): number | undefined {
  if (r.readBit()) {
    if (r.readBits(8) === 255) r.skipBits(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.readBit()) r.readBit(); // overscan_appropriate_flag
  if (r.readBit()) {
    r.skipBits(4); // video_format, video_full_range_flag
    if (r.readBit()) r.skipBits(24); // colour description
  }
  if (r.readBit()) {
    r.readUE();
    r.readUE();
  }
  if (!r.readBit()) return undefined;
  const numUnitsInTick = r.readBits(32);
  const timeScale = r.readBits(32);
  if (r.overrun || numUnitsInTick === 0 || timeScale === 0) return undefined;
  const fps = timeScale / (2 * numUnitsInTick);
  return fps > 0 && fps <= 240 ? Math.round(fps * 1000) / 1000 : undefined;
}
