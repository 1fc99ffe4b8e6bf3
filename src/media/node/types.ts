import type { ForwardEndReason, ForwardInfo, OpenForwardRequest } from '../forward/types';
import type { RtpTransport } from '../ingest/types';
import type { FinishedSegment } from '../record/types';

export type { RtpTransport };
export type { ForwardEndReason, ForwardInfo, ForwardTransport, OpenForwardRequest } from '../forward/types';

export interface OpenStreamRequest {
  /** The stream's name in playback URLs: the channel ID for live view. */
  streamId: string;
  transport: RtpTransport;
  /** Leased by the caller (MediaPortPool): the UDP/TCP port we receive on. Unused for TCP active. */
  port: number;
  /** The SSRC we offered; replaced by the answer's via setStreamSsrc. */
  expectedSsrc?: number;
}

export type MediaStreamState = 'waiting' | 'live';

/**
 * RTP the node's live streams have received since it started, ended streams included (a
 * restarted worker starts again at 0, which Prometheus reads as a counter reset).
 */
export interface RtpTotals {
  packets: number;
  bytes: number;
  lost: number;
  /** Arrived after their gap had been declared lost. */
  late: number;
  badPackets: number;
  ssrcMismatches: number;
  sourceMismatches: number;
  /** UDP datagrams the native reader dropped because the media worker fell behind. */
  readerDropped: number;
  /** TCP: times the RFC 4571 framing had to be searched for again. */
  framingResyncs: number;
}

export const EMPTY_RTP_TOTALS: Readonly<RtpTotals> = {
  packets: 0,
  bytes: 0,
  lost: 0,
  late: 0,
  badPackets: 0,
  ssrcMismatches: 0,
  sourceMismatches: 0,
  readerDropped: 0,
  framingResyncs: 0,
};

/** What the API shows about a running stream's media. */
export interface MediaStreamInfo {
  streamId: string;
  transport: RtpTransport;
  port: number;
  state: MediaStreamState;
  openedAt: number;
  firstFrameAt: number | null;
  lastPacketAt: number | null;
  remote: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  fps: number;
  bitrateKbps: number;
  viewers: number;
  packets: number;
  bytes: number;
  lost: number;
  /** Recorded to disk right now. */
  recording: boolean;
  /** Frames the demuxer threw away (broken input), and viewers dropped for being slow. */
  framesDropped: number;
  slowViewersDropped: number;
  /** The native FLV relay (ADR 0024); null where the stream has none (the addon is not built, or it is off). */
  nativeRelay: { state: 'pending' | 'native' | 'bailed'; reason: string; viewers: number; javascriptFed: boolean } | null;
}

export interface StartRecordingRequest {
  streamId: string;
  channelId: string;
  deviceId: string;
  /** Footage root folder. */
  root: string;
  segmentSeconds: number;
}

export interface OpenPlaybackRequest {
  /** `<channelId>_playback-<n>`: the name in playback URLs. */
  streamId: string;
  /** Absolute paths of the recording's segment files, with their times. */
  segments: Array<{ path: string; start: number; end: number }>;
  /** ms UTC to start at (the key frame at or before it). */
  from: number;
  speed: number;
  /** ms UTC to stop at: the player pauses there and 'playback-ended' is emitted. Default: the end of the segments. */
  until?: number;
  /** Above this speed only key frames are sent (default 2); a download sends every frame up to 8x. */
  keyframesOnlyAbove?: number;
}

export type PlaybackControl = { action: 'pause' } | { action: 'resume' } | { action: 'seek'; time: number } | { action: 'speed'; speed: number };

export interface PlaybackInfo {
  streamId: string;
  state: 'playing' | 'paused' | 'ended';
  /** ms UTC of the last frame sent. */
  position: number;
  speed: number;
  viewers: number;
}

/** Why the media side ended a stream on its own. */
export type MediaCloseReason = 'rtp-timeout' | 'no-media' | 'closed' | 'node-closing' | 'idle';

export interface MediaNodeEvents {
  /** The first key frame arrived: viewers see a picture from now on. */
  ready: [streamId: string];
  viewers: [streamId: string, count: number];
  /** The media side ended the stream (RTP stopped); the owner tears down the signaling. */
  closed: [streamId: string, reason: MediaCloseReason];
  /** A recording segment was closed and is on disk (the owner indexes it). */
  segment: [segment: FinishedSegment];
  /** Recording of a stream stopped on an error (disk full, permissions). */
  'recording-failed': [streamId: string, message: string];
  /** A forwarding (startForward) ended by itself: its stream ended, the receiver went away, or it fell too far behind. */
  'forward-ended': [forwardId: string, reason: ForwardEndReason];
  /** A playback reached the end of its recordings or its `until` time (the session stays open). */
  'playback-ended': [streamId: string];
  /** The node itself stopped working (the worker died): every stream on it is gone. */
  failed: [reason: string];
}

export interface MediaNodeEndpoints {
  /** HTTP-FLV, WS-FLV and HLS. */
  httpPort: number;
  rtspPort: number;
}

/**
 * The control interface of a media node, the way GB28181 platforms drive a separate media
 * server: open a receiver for a stream, tell it what the device answered, close it, read its
 * stats. The same interface is served by a worker thread today and could be by another machine.
 */
export interface MediaNode {
  readonly endpoints: MediaNodeEndpoints;
  openStream(request: OpenStreamRequest): Promise<void>;
  /** The SSRC from the device's answer (it may differ from the one offered). */
  setStreamSsrc(streamId: string, ssrc: number): Promise<void>;
  /** TCP active: connect to the address the device answered. */
  connectStream(streamId: string, host: string, port: number): Promise<void>;
  /** Resolves true at the first key frame, false after timeoutMs without one. */
  waitReady(streamId: string, timeoutMs: number): Promise<boolean>;
  closeStream(streamId: string): Promise<void>;
  /** Records the stream to segment files until stopRecording or the stream ends. Idempotent. */
  startRecording(request: StartRecordingRequest): Promise<void>;
  /** Closes the current segment (it is reported) and stops. False when the stream was not recorded. */
  stopRecording(streamId: string): Promise<boolean>;
  /** Plays platform recordings as a stream the outputs serve; it closes itself after idleMs without viewers. */
  openPlayback(request: OpenPlaybackRequest): Promise<PlaybackInfo>;
  controlPlayback(streamId: string, control: PlaybackControl): Promise<PlaybackInfo>;
  listPlaybacks(): Promise<PlaybackInfo[]>;
  listStreams(): Promise<MediaStreamInfo[]>;
  /** RTP received by live streams since the node started, ended streams included (for /metrics). */
  rtpTotals(): Promise<RtpTotals>;
  /** Binds the socket that sends an open stream (live or playback) to a receiver as PS over RTP; nothing is sent yet. */
  openForward(request: OpenForwardRequest): Promise<ForwardInfo>;
  /** Starts sending (after the receiver's ACK); the forwarding counts as a viewer of the stream. */
  startForward(forwardId: string): Promise<ForwardInfo>;
  /** Stops one forwarding (the stream goes on); null when it is not known (already ended). */
  stopForward(forwardId: string): Promise<ForwardInfo | null>;
  listForwards(): Promise<ForwardInfo[]>;
  on<E extends keyof MediaNodeEvents>(event: E, listener: (...args: MediaNodeEvents[E]) => void): unknown;
  close(): Promise<void>;
}
