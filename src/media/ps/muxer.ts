import type { AudioCodec, VideoCodec } from '../codec/types';
import { PACK_HEADER_LENGTH, writePackHeader } from './pack-header';
import { pesHeaderLength, writePesHeader } from './pes-header';
import { programStreamMapLength, writeProgramStreamMap, type PsmEntry } from './psm';
import { AUDIO_STREAM_ID, VIDEO_STREAM_ID, streamTypeOf } from './stream-types';
import { systemHeaderLength, writeSystemHeader, type SystemHeaderStream } from './system-header';

export interface PsMuxerOptions {
  videoCodec: VideoCodec;
  audioCodec?: AudioCodec;
  /** Largest PES packet, header included; bigger frames are split into several PES. */
  maxPesBytes?: number;
  /** Declared in the pack and system headers (bytes per second). Default 2.5 MB/s. */
  muxRateBytesPerSecond?: number;
}

export interface MuxVideoInput {
  /** One access unit as an Annex B byte stream; key frames should carry their parameter sets. */
  data: Buffer;
  pts: number;
  dts?: number;
  keyframe: boolean;
}

/**
 * Builds GB/T 28181 program stream packs (Annex C.1): each video frame is one pack (pack header,
 * then on key frames the system header and PSM, then its PES packets); audio frames get packs
 * of their own. Timestamps are 90 kHz.
 */
export class PsMuxer {
  private readonly maxPesBytes: number;
  private readonly muxRate: number;
  private readonly streams: SystemHeaderStream[];
  private readonly entries: PsmEntry[];

  constructor(private readonly options: PsMuxerOptions) {
    this.maxPesBytes = Math.max(1024, Math.min(options.maxPesBytes ?? 65400, 65535 + 6));
    this.muxRate = Math.max(1, Math.ceil((options.muxRateBytesPerSecond ?? 2_500_000) / 50));
    this.streams = [{ streamId: VIDEO_STREAM_ID, bufferBytes: 1024 * 1024 }];
    this.entries = [{ streamType: streamTypeOf(options.videoCodec), streamId: VIDEO_STREAM_ID }];
    if (options.audioCodec) {
      this.streams.push({ streamId: AUDIO_STREAM_ID, bufferBytes: 4096 });
      this.entries.push({ streamType: streamTypeOf(options.audioCodec), streamId: AUDIO_STREAM_ID });
    }
  }

  /** One pack holding the whole video frame. */
  muxVideo(frame: MuxVideoInput): Buffer {
    const dts = frame.dts ?? frame.pts;
    const headers = frame.keyframe ? systemHeaderLength(this.streams.length) + programStreamMapLength(this.entries.length) : 0;
    const out = Buffer.allocUnsafe(PACK_HEADER_LENGTH + headers + this.pesBytes(frame.data.length, frame.pts, dts));
    let at = writePackHeader(out, 0, dts, this.muxRate);
    if (frame.keyframe) {
      at += writeSystemHeader(out, at, this.muxRate, this.streams);
      at += writeProgramStreamMap(out, at, 0, this.entries);
    }
    at = this.writePes(out, at, VIDEO_STREAM_ID, frame.data, frame.pts, dts);
    return out.subarray(0, at);
  }

  /** One pack holding an audio frame (an ADTS frame or a run of G.711 samples). */
  muxAudio(data: Buffer, pts: number): Buffer {
    const out = Buffer.allocUnsafe(PACK_HEADER_LENGTH + this.pesBytes(data.length, pts, pts));
    const at = writePackHeader(out, 0, pts, this.muxRate);
    return out.subarray(0, this.writePes(out, at, AUDIO_STREAM_ID, data, pts, pts));
  }

  private pesBytes(length: number, pts: number, dts: number): number {
    const first = pesHeaderLength(pts, dts);
    const firstPayload = this.maxPesBytes - first;
    if (length <= firstPayload) return first + length;
    const rest = length - firstPayload;
    const perPes = this.maxPesBytes - 9;
    return this.maxPesBytes + rest + Math.ceil(rest / perPes) * 9;
  }

  /** The first PES carries the timestamps; the rest of a large frame follows in PES without. */
  private writePes(out: Buffer, at: number, streamId: number, data: Buffer, pts: number, dts: number): number {
    let offset = 0;
    let first = true;
    while (first || offset < data.length) {
      const headerLength = first ? pesHeaderLength(pts, dts) : 9;
      const n = Math.min(data.length - offset, this.maxPesBytes - headerLength);
      at += writePesHeader(out, at, streamId, n, first ? pts : -1, first ? dts : -1);
      data.copy(out, at, offset, offset + n);
      at += n;
      offset += n;
      first = false;
    }
    return at;
  }
}
