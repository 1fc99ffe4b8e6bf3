import { BitReader, removeEmulationPrevention } from './bit-reader';

export interface H265Sps {
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepth: number;
  width: number;
  height: number;
}

function skipSubLayerPtl(r: BitReader, maxSubLayersMinus1: number): void {
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readBit());
    levelPresent.push(r.readBit());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88);
    if (levelPresent[i]) r.skipBits(8);
  }
}

/**
 * Parses an H.265 sequence parameter set NAL unit (2-byte header included, no start code) up to
 * the picture size and bit depth. Returns null for anything that is not a well-formed SPS.
 */
export function parseH265Sps(nal: Buffer): H265Sps | null {
  if (nal.length < 16 || (((nal[0] ?? 0) >> 1) & 0x3f) !== 33) return null;
  const r = new BitReader(removeEmulationPrevention(nal, 2));
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) return null;
  r.readBit(); // sps_temporal_id_nesting_flag
  const profileSpace = r.readBits(2);
  const tierFlag = r.readBit();
  const profileIdc = r.readBits(5);
  r.skipBits(32 + 48); // compatibility flags, source and constraint flags
  const levelIdc = r.readBits(8);
  skipSubLayerPtl(r, maxSubLayersMinus1);
  const spsId = r.readUE();
  if (spsId > 15) return null;
  const chromaFormatIdc = r.readUE();
  if (chromaFormatIdc > 3) return null;
  let separateColourPlane = 0;
  if (chromaFormatIdc === 3) separateColourPlane = r.readBit();
  let width = r.readUE();
  let height = r.readUE();
  if (r.readBit()) {
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const left = r.readUE();
    const right = r.readUE();
    const top = r.readUE();
    const bottom = r.readUE();
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
  }
  const bitDepth = r.readUE() + 8;
  if (r.overrun || width <= 0 || height <= 0 || width > 16888 || height > 16888 || bitDepth > 16) return null;
  return { profileSpace, tierFlag, profileIdc, levelIdc, spsId, chromaFormatIdc, bitDepth, width, height };
}
