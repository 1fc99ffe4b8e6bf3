import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import { createUrlTokenSigner } from '../access/url-token';
import { PsRtpForwarder } from '../forward/ps-rtp-forwarder';
import { StreamPipeline } from '../ingest/stream-pipeline';
import { createMediaHttpServer, type MediaHttpServer } from '../out/http/media-http-server';
import { createRtspServer, type RtspServer } from '../out/rtsp/rtsp-server';
import { RecordingPlayer } from '../playback/recording-player';
import { SegmentWriter } from '../record/segment-writer';
import { MEDIA_SOURCE_DEFAULTS, MediaSource } from '../source/media-source';
import type { MediaNodeOptions } from './options';
import { playbackEndGuard } from './playback-end-guard';
import type { RtpIngestStats } from '../ingest/types';
import type { RelayLimits } from '../ingest/native-rtp-recv';
import { DEFAULT_FLV_STALL_TIMEOUT_MS } from '../out/http/flv-viewers';
import {
  EMPTY_RTP_TOTALS,
  type ForwardInfo,
  type MediaCloseReason,
  type MediaNode,
  type MediaNodeEndpoints,
  type MediaNodeEvents,
  type MediaStreamInfo,
  type OpenForwardRequest,
  type OpenPlaybackRequest,
  type OpenStreamRequest,
  type PlaybackControl,
  type PlaybackInfo,
  type RtpTotals,
  type StartRecordingRequest,
} from './types';

interface NodeStream {
  request: OpenStreamRequest;
  pipeline: StreamPipeline;
  openedAt: number;
  firstFrameAt: number | null;
  recorder: { writer: SegmentWriter; detach: () => void } | null;
}

interface PlaybackSession {
  streamId: string;
  source: MediaSource;
  player: RecordingPlayer;
  /** Since when nobody watches (ms), or 0 while someone does. */
  idleSince: number;
}

const WATCH_INTERVAL_MS = 1000;

/** The native FLV relay polices its viewers as the MediaSource and FlvViewers police theirs. */
const RELAY_LIMITS: RelayLimits = {
  gopMaxFrames: MEDIA_SOURCE_DEFAULTS.gopCacheMaxFrames,
  gopMaxBytes: MEDIA_SOURCE_DEFAULTS.gopCacheMaxBytes,
  slowSkipBytes: MEDIA_SOURCE_DEFAULTS.slowSkipBytes,
  slowDropBytes: MEDIA_SOURCE_DEFAULTS.slowDropBytes,
  stallMs: DEFAULT_FLV_STALL_TIMEOUT_MS,
};

export class MediaNodeStreamError extends Error {
  override readonly name = 'MediaNodeStreamError';
  constructor(
    message: string,
    readonly code: 'exists' | 'unknown-stream',
  ) {
    super(message);
  }
}

/**
 * The media node itself: a StreamPipeline (RTP in, PS demux, MediaSource) per stream, the HTTP
 * server for FLV/HLS and the RTSP server reading from them, and a watchdog that ends streams
 * whose RTP stopped. It runs in the media worker (see worker-entry.ts), or in-process for debugging.
 */
export class LocalMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  private readonly streams = new Map<string, NodeStream>();
  /** What the streams that ended had received (rtpTotals adds the live ones). */
  private readonly endedRtp: RtpTotals = { ...EMPTY_RTP_TOTALS };
  private readonly playbacks = new Map<string, PlaybackSession>();
  private readonly forwards = new Map<string, PsRtpForwarder>();
  private readonly watchdog: NodeJS.Timeout;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly options: MediaNodeOptions,
    private readonly logger: Logger,
    private readonly http: MediaHttpServer,
    private readonly rtsp: RtspServer,
    /** The MediaSources by stream name; the outputs look streams up here. */
    private readonly sources: Map<string, MediaSource>,
    readonly endpoints: MediaNodeEndpoints,
  ) {
    super();
    this.watchdog = setInterval(() => this.watch(), WATCH_INTERVAL_MS);
    this.watchdog.unref();
  }

  static async start(options: MediaNodeOptions, logger: Logger): Promise<LocalMediaNode> {
    const sources = new Map<string, MediaSource>();
    const lookup = { get: (stream: string) => sources.get(stream) };
    const tokens = options.urlSecret !== null ? createUrlTokenSigner(options.urlSecret) : null;
    const http = createMediaHttpServer({ host: options.host, port: options.httpPort, sources: lookup, tokens, logger });
    const rtsp = createRtspServer({ host: options.host, port: options.rtspPort, sources: lookup, tokens, logger });
    const httpPort = (await http.listen()).port;
    let rtspPort: number;
    try {
      rtspPort = (await rtsp.listen()).port;
    } catch (err) {
      await http.close();
      throw err;
    }
    return new LocalMediaNode(options, logger, http, rtsp, sources, { httpPort, rtspPort });
  }

  async openStream(request: OpenStreamRequest): Promise<void> {
    if (this.streams.has(request.streamId)) throw new MediaNodeStreamError(`stream ${request.streamId} is already open`, 'exists');
    const pipeline = new StreamPipeline({
      streamId: request.streamId,
      transport: request.transport,
      host: this.options.host,
      port: request.transport === 'tcp-active' ? 0 : request.port,
      ...(request.expectedSsrc !== undefined ? { expectedSsrc: request.expectedSsrc } : {}),
      ssrcPolicy: this.options.ssrcPolicy,
      udpReceiveBufferBytes: this.options.udpReceiveBufferBytes,
      nativeRtp: this.options.nativeRtp,
      nativeBatchMs: this.options.nativeBatchMs,
      ...(this.options.nativeFlvRelay === true ? { nativeFlvRelay: RELAY_LIMITS } : {}),
      logger: this.logger,
    });
    const stream: NodeStream = { request, pipeline, openedAt: Date.now(), firstFrameAt: null, recorder: null };
    this.streams.set(request.streamId, stream);
    try {
      await pipeline.start();
    } catch (err) {
      this.streams.delete(request.streamId);
      await pipeline.close('bind-failed');
      throw err;
    }
    const source = pipeline.source;
    this.sources.set(request.streamId, source);
    source.once('ready', () => {
      stream.firstFrameAt = Date.now();
      this.emit('ready', request.streamId);
    });
    source.on('viewers', (count) => this.emit('viewers', request.streamId, count));
  }

  setStreamSsrc(streamId: string, ssrc: number): Promise<void> {
    this.mustGet(streamId).pipeline.setExpectedSsrc(ssrc);
    return Promise.resolve();
  }

  connectStream(streamId: string, host: string, port: number): Promise<void> {
    return this.mustGet(streamId).pipeline.connect(host, port);
  }

  waitReady(streamId: string, timeoutMs: number): Promise<boolean> {
    const source = this.mustGet(streamId).pipeline.source;
    if (source.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        source.off('ready', onReady);
        source.off('ended', onEnded);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const onEnded = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      source.on('ready', onReady);
      source.on('ended', onEnded);
    });
  }

  async closeStream(streamId: string): Promise<void> {
    if (this.playbacks.has(streamId)) this.closePlayback(streamId, 'closed', false);
    else await this.end(streamId, 'closed', false);
  }

  startRecording(request: StartRecordingRequest): Promise<void> {
    const stream = this.mustGet(request.streamId);
    if (stream.recorder !== null) return Promise.resolve();
    const writer = new SegmentWriter({
      root: request.root,
      channelId: request.channelId,
      deviceId: request.deviceId,
      segmentSeconds: request.segmentSeconds,
      logger: this.logger.child({ streamId: request.streamId, component: 'record' }),
      onSegment: (segment) => this.emit('segment', segment),
      onError: (err) => {
        if (stream.recorder?.writer === writer) {
          stream.recorder.detach();
          stream.recorder = null;
        }
        this.emit('recording-failed', request.streamId, err.message);
      },
    });
    // Not a viewer: whether the stream runs on is its owner's decision (keep running), not the recorder's.
    const detach = stream.pipeline.source.attach(writer, { viewer: false });
    stream.recorder = { writer, detach };
    return Promise.resolve();
  }

  async stopRecording(streamId: string): Promise<boolean> {
    const stream = this.streams.get(streamId);
    const recorder = stream?.recorder ?? null;
    if (stream === undefined || recorder === null) return false;
    stream.recorder = null;
    recorder.detach();
    recorder.writer.end('source-closed');
    await recorder.writer.idle();
    return true;
  }

  openPlayback(request: OpenPlaybackRequest): Promise<PlaybackInfo> {
    if (this.streams.has(request.streamId) || this.playbacks.has(request.streamId)) {
      throw new MediaNodeStreamError(`stream ${request.streamId} is already open`, 'exists');
    }
    const logger = this.logger.child({ streamId: request.streamId, component: 'playback' });
    const source = new MediaSource(request.streamId, { logger });
    const player = new RecordingPlayer({
      source,
      segments: request.segments,
      from: request.from,
      speed: request.speed,
      logger,
      ...(request.keyframesOnlyAbove !== undefined ? { keyframesOnlyAbove: request.keyframesOnlyAbove } : {}),
    });
    const session: PlaybackSession = { streamId: request.streamId, source, player, idleSince: Date.now() };
    const ended = (): void => {
      if (this.playbacks.get(request.streamId) === session) this.emit('playback-ended', request.streamId);
    };
    player.on('ended', ended);
    if (request.until !== undefined) source.attach(playbackEndGuard(player, request.until, ended), { viewer: false });
    source.on('viewers', (count) => {
      session.idleSince = count > 0 ? 0 : Date.now();
      this.emit('viewers', request.streamId, count);
    });
    this.playbacks.set(request.streamId, session);
    this.sources.set(request.streamId, source);
    player.start();
    return Promise.resolve(this.playbackInfo(session));
  }

  controlPlayback(streamId: string, control: PlaybackControl): Promise<PlaybackInfo> {
    const session = this.playbacks.get(streamId);
    if (session === undefined) return Promise.reject(new MediaNodeStreamError(`playback ${streamId} is not open`, 'unknown-stream'));
    const { player } = session;
    switch (control.action) {
      case 'pause':
        player.pause();
        break;
      case 'resume':
        player.resume();
        break;
      case 'seek':
        player.seek(control.time);
        break;
      case 'speed':
        player.setSpeed(control.speed);
        break;
    }
    return Promise.resolve(this.playbackInfo(session));
  }

  listPlaybacks(): Promise<PlaybackInfo[]> {
    return Promise.resolve([...this.playbacks.values()].map((s) => this.playbackInfo(s)));
  }

  async openForward(request: OpenForwardRequest): Promise<ForwardInfo> {
    if (this.forwards.has(request.forwardId)) throw new MediaNodeStreamError(`forward ${request.forwardId} is already open`, 'exists');
    if (!this.sources.has(request.streamId)) throw new MediaNodeStreamError(`stream ${request.streamId} is not open`, 'unknown-stream');
    const forwarder = new PsRtpForwarder(request, {
      bindHost: this.options.host,
      logger: this.logger,
      onEnded: (reason) => {
        if (this.forwards.get(request.forwardId) !== forwarder) return;
        this.forwards.delete(request.forwardId);
        this.emit('forward-ended', request.forwardId, reason);
      },
    });
    this.forwards.set(request.forwardId, forwarder);
    try {
      await forwarder.open();
    } catch (err) {
      this.forwards.delete(request.forwardId);
      forwarder.stop();
      throw err;
    }
    return forwarder.info();
  }

  startForward(forwardId: string): Promise<ForwardInfo> {
    const forwarder = this.forwards.get(forwardId);
    if (forwarder === undefined) return Promise.reject(new MediaNodeStreamError(`forward ${forwardId} is not open`, 'unknown-stream'));
    const source = this.sources.get(forwarder.streamId);
    if (source === undefined) {
      this.forwards.delete(forwardId);
      forwarder.stop();
      return Promise.reject(new MediaNodeStreamError(`stream ${forwarder.streamId} is not open`, 'unknown-stream'));
    }
    forwarder.attachTo(source);
    return Promise.resolve(forwarder.info());
  }

  stopForward(forwardId: string): Promise<ForwardInfo | null> {
    const forwarder = this.forwards.get(forwardId);
    if (forwarder === undefined) return Promise.resolve(null);
    this.forwards.delete(forwardId);
    return Promise.resolve(forwarder.stop());
  }

  listForwards(): Promise<ForwardInfo[]> {
    return Promise.resolve([...this.forwards.values()].map((f) => f.info()));
  }

  private playbackInfo(session: PlaybackSession): PlaybackInfo {
    return { streamId: session.streamId, state: session.player.state, position: session.player.position, speed: session.player.speed, viewers: session.source.viewers };
  }

  private closePlayback(streamId: string, reason: MediaCloseReason, announce: boolean): void {
    const session = this.playbacks.get(streamId);
    if (session === undefined) return;
    this.playbacks.delete(streamId);
    this.sources.delete(streamId);
    session.player.close();
    session.source.end(reason);
    if (announce) this.emit('closed', streamId, reason);
  }

  listStreams(): Promise<MediaStreamInfo[]> {
    return Promise.resolve([...this.streams.values()].map((s) => this.info(s)));
  }

  rtpTotals(): Promise<RtpTotals> {
    const totals = { ...this.endedRtp };
    for (const stream of this.streams.values()) addRtpStats(totals, stream.pipeline.ingest.stats);
    return Promise.resolve(totals);
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      clearInterval(this.watchdog);
      for (const forwarder of this.forwards.values()) forwarder.stop();
      this.forwards.clear();
      for (const id of [...this.playbacks.keys()]) this.closePlayback(id, 'node-closing', false);
      await Promise.all([...this.streams.keys()].map((id) => this.end(id, 'node-closing', false)));
      await Promise.all([this.http.close(), this.rtsp.close()]);
    })();
    return this.closing;
  }

  private async end(streamId: string, reason: MediaCloseReason, announce: boolean): Promise<void> {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.streams.delete(streamId);
    this.sources.delete(streamId);
    const recorder = stream.recorder;
    await stream.pipeline.close(reason);
    addRtpStats(this.endedRtp, stream.pipeline.ingest.stats);
    // The source ended the writer, which closes its last segment; wait so that it is reported.
    if (recorder !== null) await recorder.writer.idle();
    if (announce) this.emit('closed', streamId, reason);
  }

  /** RTP that stops (or never starts) for rtpTimeoutMs ends the stream. */
  private watch(): void {
    const now = Date.now();
    for (const session of [...this.playbacks.values()]) {
      if (session.idleSince > 0 && now - session.idleSince > this.options.playbackIdleMs) {
        this.logger.info({ streamId: session.streamId }, 'playback without viewers: closing it');
        this.closePlayback(session.streamId, 'idle', true);
      }
    }
    for (const stream of this.streams.values()) {
      const last = stream.pipeline.ingest.lastPacketAt;
      const since = last > 0 ? last : stream.openedAt;
      if (now - since <= this.options.rtpTimeoutMs) continue;
      const reason: MediaCloseReason = last > 0 ? 'rtp-timeout' : 'no-media';
      this.logger.warn({ streamId: stream.request.streamId, reason, silentMs: now - since }, 'no RTP for too long: ending the stream');
      void this.end(stream.request.streamId, reason, true);
    }
  }

  private mustGet(streamId: string): NodeStream {
    const stream = this.streams.get(streamId);
    if (stream === undefined) throw new MediaNodeStreamError(`stream ${streamId} is not open`, 'unknown-stream');
    return stream;
  }

  private info(stream: NodeStream): MediaStreamInfo {
    const { ingest, demux, source, relay } = stream.pipeline.stats;
    const nativeRelay = stream.pipeline.relay;
    const tracks = stream.pipeline.source.currentTracks;
    return {
      streamId: stream.request.streamId,
      transport: stream.request.transport,
      port: stream.request.port,
      state: stream.firstFrameAt !== null ? 'live' : 'waiting',
      openedAt: stream.openedAt,
      firstFrameAt: stream.firstFrameAt,
      lastPacketAt: ingest.lastPacketAt > 0 ? ingest.lastPacketAt : null,
      remote: ingest.remote ?? null,
      videoCodec: tracks.video?.codec ?? null,
      audioCodec: tracks.audio?.codec ?? null,
      width: tracks.video?.width ?? null,
      height: tracks.video?.height ?? null,
      fps: Math.round(source.fps * 10) / 10,
      bitrateKbps: Math.round(source.bitrateKbps),
      viewers: source.viewers,
      recording: stream.recorder !== null,
      packets: ingest.packets,
      bytes: ingest.bytes,
      lost: ingest.lost,
      framesDropped: demux.framesDropped,
      slowViewersDropped: source.slowDrops + (relay?.slowDrops ?? 0),
      nativeRelay: nativeRelay ? { state: nativeRelay.state, reason: nativeRelay.reason, viewers: nativeRelay.viewerCount, javascriptFed: nativeRelay.isFed } : null,
    };
  }
}

function addRtpStats(totals: RtpTotals, stats: RtpIngestStats): void {
  totals.packets += stats.packets;
  totals.bytes += stats.bytes;
  totals.lost += stats.lost;
  totals.late += stats.late;
  totals.badPackets += stats.badPackets;
  totals.ssrcMismatches += stats.ssrcMismatches;
  totals.sourceMismatches += stats.sourceMismatches;
  totals.readerDropped += stats.readerDropped ?? 0;
  totals.framingResyncs += stats.framingResyncs;
}
