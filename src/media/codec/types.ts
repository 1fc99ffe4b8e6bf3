/** Codecs the media core understands; anything else is carried as "unsupported" and dropped. */
export type VideoCodec = 'h264' | 'h265';
export type AudioCodec = 'aac' | 'g711a' | 'g711u';
export type MediaCodec = VideoCodec | AudioCodec;

/**
 * One access unit: a whole video picture or an audio frame, with 90 kHz timestamps.
 * For video, `data` is an Annex B byte stream (start codes included) and key frames carry their
 * parameter sets; `nalUnits` are views into `data` without start codes.
 */
export interface AccessUnit {
  kind: 'video' | 'audio';
  codec: MediaCodec;
  /** 90 kHz, unwrapped past the 33-bit PTS range so it only grows (unless the source jumps). */
  pts: number;
  dts: number;
  keyframe: boolean;
  data: Buffer;
  nalUnits?: Buffer[];
}

export interface VideoParams {
  kind: 'video';
  codec: VideoCodec;
  width: number;
  height: number;
  profile: number;
  level: number;
  /** Frames per second from the SPS timing info when present. */
  fps?: number;
  /** Parameter sets without start codes (NAL header included). */
  vps?: Buffer;
  sps: Buffer;
  pps: Buffer;
}

export interface AudioParams {
  kind: 'audio';
  codec: AudioCodec;
  sampleRate: number;
  channels: number;
  /** AAC AudioSpecificConfig (2 bytes), for FLV/MP4 muxers. */
  aacConfig?: Buffer;
}

export type MediaParams = VideoParams | AudioParams;
