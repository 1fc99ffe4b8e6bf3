import type { AudioCodec, VideoCodec } from '../codec/types';

/** PSM stream_type values used by GB/T 28181-2022 Annex C.1 (and ISO/IEC 13818-1 Table 2-34). */
export const STREAM_TYPE = {
  MPEG4_VIDEO: 0x10,
  H264: 0x1b,
  H265: 0x24,
  SVAC_VIDEO: 0x80,
  AAC: 0x0f,
  G711A: 0x90,
  G711U: 0x91,
  G722_1: 0x92,
  G723_1: 0x93,
  G729: 0x99,
  SVAC_AUDIO: 0x9b,
} as const;

/** Stream ids GB/T 28181 uses in the system header and PES packets. */
export const VIDEO_STREAM_ID = 0xe0;
export const AUDIO_STREAM_ID = 0xc0;

export function isVideoStreamId(id: number): boolean {
  return id >= 0xe0 && id <= 0xef;
}

export function isAudioStreamId(id: number): boolean {
  return id >= 0xc0 && id <= 0xdf;
}

/** The video codec for a stream_type: a codec we handle, 'unsupported', or undefined if unknown. */
export function videoCodecOf(streamType: number): VideoCodec | 'unsupported' | undefined {
  if (streamType === STREAM_TYPE.H264) return 'h264';
  if (streamType === STREAM_TYPE.H265) return 'h265';
  if (streamType === STREAM_TYPE.MPEG4_VIDEO || streamType === STREAM_TYPE.SVAC_VIDEO || streamType === 0x01 || streamType === 0x02) {
    return 'unsupported';
  }
  return undefined;
}

export function audioCodecOf(streamType: number): AudioCodec | 'unsupported' | undefined {
  if (streamType === STREAM_TYPE.AAC) return 'aac';
  if (streamType === STREAM_TYPE.G711A) return 'g711a';
  if (streamType === STREAM_TYPE.G711U) return 'g711u';
  if (streamType === 0x03 || streamType === 0x04 || (streamType >= 0x92 && streamType <= 0x9b)) return 'unsupported';
  return undefined;
}

export function streamTypeOf(codec: VideoCodec | AudioCodec): number {
  switch (codec) {
    case 'h264':
      return STREAM_TYPE.H264;
    case 'h265':
      return STREAM_TYPE.H265;
    case 'aac':
      return STREAM_TYPE.AAC;
    case 'g711a':
      return STREAM_TYPE.G711A;
    case 'g711u':
      return STREAM_TYPE.G711U;
  }
}
