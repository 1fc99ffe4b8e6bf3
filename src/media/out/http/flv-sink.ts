import type { AccessUnit, AudioParams, VideoParams } from '../../codec/types';
import type { MediaSink, SinkEndReason, StreamTracks } from '../../source/types';
import { FlvMuxer, type HevcMode } from '../flv/muxer';
import { audioParamsOf, videoParamsOf } from './inband-params';

/** Where one viewer's FLV bytes go: an HTTP response or a WebSocket. */
export interface FlvOutput {
  send(chunk: Buffer): void;
  /** Pieces that make one chunk together (a video tag around views of its frame), written without joining them. */
  sendParts(parts: Buffer[]): void;
  /** Bytes accepted and not yet handed to the kernel. */
  pendingBytes(): number;
  close(reason: SinkEndReason): void;
}

export interface FlvSinkCounters {
  videoTags: number;
  audioTags: number;
  bytes: number;
}

/**
 * One FLV viewer. The first chunk is the FLV header alone (a WebSocket client sees it as the
 * first message), the second onMetaData with the sequence headers, then one chunk per tag.
 * Frames of a codec the viewer has no sequence header for are held back until a key frame (or
 * an ADTS header) supplies one, so a player never gets a frame it cannot decode.
 */
export class FlvSink implements MediaSink {
  readonly counters: FlvSinkCounters = { videoTags: 0, audioTags: 0, bytes: 0 };
  private readonly muxer: FlvMuxer;
  private video: VideoParams | undefined;
  private audio: AudioParams | undefined;
  private readonly onEnd: ((reason: SinkEndReason) => void) | undefined;
  private readonly onError: ((err: unknown) => void) | undefined;
  private started = false;
  private ended = false;

  constructor(
    readonly kind: string,
    private readonly output: FlvOutput,
    options: { hevcMode?: HevcMode; onEnd?: (reason: SinkEndReason) => void; onError?: (err: unknown) => void } = {},
  ) {
    this.muxer = new FlvMuxer({ hevcMode: options.hevcMode ?? 'enhanced' });
    this.onEnd = options.onEnd;
    this.onError = options.onError;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  start(tracks: StreamTracks): void {
    if (this.started || this.ended) return;
    this.started = true;
    this.send(this.muxer.header({ hasVideo: tracks.video !== undefined, hasAudio: tracks.audio !== undefined }));
    this.send(Buffer.concat([this.muxer.metadata(tracks), ...this.sequenceHeaders(tracks)]));
  }

  tracksChanged(tracks: StreamTracks): void {
    if (!this.started || this.ended) return;
    const headers = this.sequenceHeaders(tracks);
    if (headers.length > 0) this.send(Buffer.concat(headers));
  }

  write(au: AccessUnit): void {
    if (!this.started || this.ended) return;
    try {
      this.writeTag(au);
    } catch (err) {
      // A sink must not throw into the source's fan-out: this viewer alone is cut off.
      this.onError?.(err);
      this.end('source-closed');
    }
  }

  pendingBytes(): number {
    return this.output.pendingBytes();
  }

  end(reason: SinkEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.output.close(reason);
    this.onEnd?.(reason);
  }

  private writeTag(au: AccessUnit): void {
    if (au.kind === 'video') {
      if (this.video?.codec !== au.codec && !this.adoptVideo(au)) return;
      const parts = this.muxer.videoFrameParts(au);
      if (parts === null) return;
      this.counters.videoTags++;
      for (const p of parts) this.counters.bytes += p.length;
      this.output.sendParts(parts);
      return;
    }
    if (this.audio?.codec !== au.codec && !this.adoptAudio(au)) return;
    const tag = this.muxer.audioFrame(au);
    if (tag === null) return;
    this.counters.audioTags++;
    this.send(tag);
  }

  private sequenceHeaders(tracks: StreamTracks): Buffer[] {
    const out: Buffer[] = [];
    this.video = undefined;
    if (tracks.video) {
      const header = this.muxer.videoSequenceHeader(tracks.video);
      // H.265 without a VPS has no configuration record yet: wait for a key frame that brings one.
      if (header) {
        out.push(header);
        this.video = tracks.video;
      }
    }
    this.audio = tracks.audio;
    if (tracks.audio) {
      const header = this.muxer.audioSequenceHeader(tracks.audio);
      if (header) out.push(header);
    }
    return out;
  }

  /** A video frame of a codec not announced: its key frame's parameter sets become the sequence header. */
  private adoptVideo(au: AccessUnit): boolean {
    const params = videoParamsOf(au);
    const header = params ? this.muxer.videoSequenceHeader(params) : null;
    if (!params || !header) return false;
    this.video = params;
    this.send(header);
    return true;
  }

  private adoptAudio(au: AccessUnit): boolean {
    const params = audioParamsOf(au);
    if (!params) return false;
    this.audio = params;
    const header = this.muxer.audioSequenceHeader(params);
    if (header) this.send(header);
    return true;
  }

  private send(chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    this.output.send(chunk);
  }
}
