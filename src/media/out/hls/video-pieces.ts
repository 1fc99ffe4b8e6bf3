import { findNalUnits } from '../../codec/annexb';
import { H264, H265, nalType } from '../../codec/nal-unit';
import { parameterSetBit, type ParameterSetCache } from '../../codec/parameter-sets';
import type { VideoCodec } from '../../codec/types';

/** Access unit delimiters with primary_pic_type / pic_type "any slice type". */
const H264_AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
const H265_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

/**
 * The pieces of an access unit as TS wants it: an AUD first (required in TS for H.264,
 * ISO/IEC 13818-1 2.14.1, and added for H.265 too as ffmpeg does), then, on key frames, any
 * parameter set the frame lacks, taken from what the stream sent before.
 */
export function videoPieces(codec: VideoCodec, data: Buffer, keyframe: boolean, cache: ParameterSetCache): Buffer[] {
  const { starts, ends, codeStarts } = findNalUnits(data);
  let present = 0;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] ?? 0;
    const bit = parameterSetBit(codec, nalType(codec, data[s] ?? 0));
    if (bit) {
      present |= bit;
      cache.note(bit, data.subarray(s, ends[i]));
    }
  }
  const first = starts[0];
  const hasAud = first !== undefined && nalType(codec, data[first] ?? 0) === (codec === 'h264' ? H264.AUD : H265.AUD);
  const missing = keyframe ? cache.missing(codec, present) : [];
  if (hasAud) {
    if (missing.length === 0) return [data];
    const afterAud = codeStarts[1] ?? data.length;
    return [data.subarray(0, afterAud), ...missing, data.subarray(afterAud)];
  }
  return [codec === 'h264' ? H264_AUD : H265_AUD, ...missing, data];
}
