import type { Socket } from 'node:net';
import type { AccessUnit, AudioParams, VideoParams } from '../codec/types';

/** What a stream carries, as far as the demuxer has seen it. */
export interface StreamTracks {
  video?: VideoParams;
  audio?: AudioParams;
}

/**
 * One consumer of a live stream: a viewer's HTTP-FLV response, an RTSP session, the HLS
 * segmenter, a recorder, a cascade sender. The MediaSource calls these in this order:
 * start (once), then write/tracksChanged any number of times, then end (once, unless the
 * consumer detached itself first). None of them may throw.
 */
export interface MediaSink {
  /** Short label for logs and stats: 'http-flv', 'ws-flv', 'hls', 'rtsp', ... */
  readonly kind: string;
  /**
   * Called when the sink can begin: the tracks are known and the first write is a key frame
   * (the cached GOP first, then live frames). Audio-only streams start at any audio frame.
   */
  start(tracks: StreamTracks): void;
  /** The codec parameters changed mid-stream (new resolution, codec switch); the next write is a key frame. */
  tracksChanged(tracks: StreamTracks): void;
  write(au: AccessUnit): void;
  /**
   * Bytes the sink has accepted and not yet handed to the kernel (e.g. socket.writableLength).
   * The source uses it to spot a slow viewer without knowing what the sink is.
   */
  pendingBytes(): number;
  /** The stream ended, or the source dropped this sink for being too slow. */
  end(reason: SinkEndReason): void;
}

export type SinkEndReason = 'stream-ended' | 'too-slow' | 'source-closed';

/**
 * HTTP-FLV viewers served outside the MediaSource: the native FLV relay of a stream
 * (src/media/ingest/native-flv-relay.ts, ADR 0024). 'pending' until the stream's first key frame
 * tells whether it is plain enough for the relay, then 'native' or 'bailed' for good.
 */
export interface ExternalFlvServer {
  readonly state: 'pending' | 'native' | 'bailed';
  decided(timeoutMs: number): Promise<'pending' | 'native' | 'bailed'>;
  /** Takes a viewer's socket (response headers sent, nothing pending); throws when it cannot. `onEnd` once. */
  serve(socket: Socket, onEnd: (reason: string) => void): number;
  endViewer(id: number): void;
}

export interface AttachOptions {
  /**
   * Counts as a viewer for on-demand stop (default true). Internal consumers that exist only
   * because viewers do (the HLS segmenter) attach with false and count their own viewers.
   */
  viewer?: boolean;
}

export interface MediaSourceStats {
  /** Frames and bytes of access units pushed since the stream began. */
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  bytes: number;
  /** Over the last few seconds. */
  fps: number;
  bitrateKbps: number;
  viewers: number;
  sinks: number;
  /** Sinks that had to skip to the next key frame because they fell behind. */
  slowSkips: number;
  /** Sinks dropped for falling too far behind. */
  slowDrops: number;
  /** ms since epoch of the last access unit, 0 before the first. */
  lastFrameAt: number;
}
