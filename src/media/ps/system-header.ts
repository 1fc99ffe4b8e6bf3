/** One stream's entry in the system header: its id and P-STD buffer size in bytes. */
export interface SystemHeaderStream {
  streamId: number;
  bufferBytes: number;
}

/**
 * Writes a system header (ISO/IEC 13818-1 2.5.3.5) for the given streams; returns its length.
 * `rateBound` is in units of 50 bytes/s.
 */
export function writeSystemHeader(buf: Buffer, at: number, rateBound: number, streams: readonly SystemHeaderStream[]): number {
  const audio = streams.filter((s) => s.streamId >= 0xc0 && s.streamId <= 0xdf).length;
  const video = streams.filter((s) => s.streamId >= 0xe0 && s.streamId <= 0xef).length;
  const length = 6 + streams.length * 3;
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = 1;
  buf[at + 3] = 0xbb;
  buf.writeUInt16BE(length, at + 4);
  const rate = rateBound & 0x3fffff;
  buf[at + 6] = 0x80 | (rate >> 15);
  buf[at + 7] = (rate >> 7) & 0xff;
  buf[at + 8] = ((rate & 0x7f) << 1) | 1;
  buf[at + 9] = (audio << 2) | 0x00; // audio_bound, fixed_flag 0, CSPS_flag 0
  buf[at + 10] = 0xe0 | video; // system_audio_lock, system_video_lock, marker, video_bound
  buf[at + 11] = 0x7f; // packet_rate_restriction_flag 0, reserved
  let q = at + 12;
  for (const s of streams) {
    const isAudio = s.streamId >= 0xc0 && s.streamId <= 0xdf;
    const scale = isAudio ? 0 : 1; // units of 128 bytes for audio, 1024 for video
    const size = Math.min(0x1fff, Math.ceil(s.bufferBytes / (isAudio ? 128 : 1024)));
    buf[q] = s.streamId;
    buf[q + 1] = 0xc0 | (scale << 5) | (size >> 8);
    buf[q + 2] = size & 0xff;
    q += 3;
  }
  return q - at;
}

export function systemHeaderLength(streams: number): number {
  return 12 + streams * 3;
}
