import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import type { AccessUnit, MediaParams } from '../codec/types';
import { RateWindow } from './rate-window';
import type { AttachOptions, ExternalFlvServer, MediaSink, MediaSourceStats, SinkEndReason, StreamTracks } from './types';

export interface MediaSourceOptions {
  /** Frames kept from the last key frame on; a longer GOP stops being cached (viewers then wait). Default 600. */
  gopCacheMaxFrames?: number;
  /** Bytes of the cached GOP at most. Default 16 MiB. */
  gopCacheMaxBytes?: number;
  /** A sink with more than this queued skips frames until the next key frame. Default 2 MiB. */
  slowSkipBytes?: number;
  /** A sink with more than this queued is dropped. Default 8 MiB. */
  slowDropBytes?: number;
  logger?: Logger;
  now?: () => number;
}

export interface MediaSourceEvents {
  /** The viewer count changed (on-demand stop watches for 0). */
  viewers: [count: number];
  /** The first key frame arrived: viewers can start. */
  ready: [];
  /** The number of sinks attached changed (the native relay feeds JavaScript only while there are any). */
  sinks: [count: number];
  ended: [reason: string];
}

interface SinkState {
  sink: MediaSink;
  viewer: boolean;
  started: boolean;
  /** Skipping until the next key frame, because it fell behind or just attached. */
  waitingKey: boolean;
  /** Key frames passed while still too far behind to take them: a viewer that stopped reading. */
  missedKeyframes: number;
}

/** The limits a MediaSource polices its cache and sinks with unless told otherwise (the native FLV relay uses them too). */
export const MEDIA_SOURCE_DEFAULTS = {
  gopCacheMaxFrames: 600,
  gopCacheMaxBytes: 16 * 1024 * 1024,
  slowSkipBytes: 2 * 1024 * 1024,
  slowDropBytes: 8 * 1024 * 1024,
} as const;

/** A viewer still behind after this many key frames is dropped rather than kept half-attached. */
const MAX_MISSED_KEYFRAMES = 3;

/**
 * One live stream: what the demuxer produces, fanned out to every consumer. It keeps the frames
 * since the last key frame so a new viewer starts with a picture at once, and it watches each
 * sink's queue so one slow viewer costs only itself frames.
 */
export class MediaSource extends EventEmitter<MediaSourceEvents> {
  /** Set by the stream's pipeline when a native relay can take its HTTP-FLV viewers. */
  externalFlv: ExternalFlvServer | undefined;
  private readonly sinks = new Map<MediaSink, SinkState>();
  private readonly gop: AccessUnit[] = [];
  private gopBytes = 0;
  private gopOverflow = false;
  private tracks: StreamTracks = {};
  private tracksChangedPending = false;
  private isReady = false;
  private ended = false;
  private viewerCount = 0;
  private readonly gopMaxFrames: number;
  private readonly gopMaxBytes: number;
  private readonly slowSkipBytes: number;
  private readonly slowDropBytes: number;
  private readonly now: () => number;
  private readonly frameRate: RateWindow;
  private readonly byteRate: RateWindow;
  private readonly counters = { videoFrames: 0, audioFrames: 0, keyframes: 0, bytes: 0, slowSkips: 0, slowDrops: 0, lastFrameAt: 0 };

  constructor(
    readonly streamId: string,
    private readonly options: MediaSourceOptions = {},
  ) {
    super();
    this.gopMaxFrames = options.gopCacheMaxFrames ?? MEDIA_SOURCE_DEFAULTS.gopCacheMaxFrames;
    this.gopMaxBytes = options.gopCacheMaxBytes ?? MEDIA_SOURCE_DEFAULTS.gopCacheMaxBytes;
    this.slowSkipBytes = options.slowSkipBytes ?? MEDIA_SOURCE_DEFAULTS.slowSkipBytes;
    this.slowDropBytes = options.slowDropBytes ?? MEDIA_SOURCE_DEFAULTS.slowDropBytes;
    this.now = options.now ?? Date.now;
    this.frameRate = new RateWindow(this.now);
    this.byteRate = new RateWindow(this.now);
  }

  get ready(): boolean {
    return this.isReady;
  }

  get viewers(): number {
    return this.viewerCount;
  }

  get currentTracks(): StreamTracks {
    return this.tracks;
  }

  get sinkCount(): number {
    return this.sinks.size;
  }

  /**
   * A viewer served outside this source (the native FLV relay's): counted with the others, so that
   * the on-demand stop sees it. Returns the function that removes it again (once).
   */
  addExternalViewer(): () => void {
    if (this.ended) return () => undefined;
    this.setViewers(this.viewerCount + 1);
    let removed = false;
    return () => {
      if (removed || this.ended) return;
      removed = true;
      this.setViewers(this.viewerCount - 1);
    };
  }

  /**
   * Frames stop arriving for a while (the native relay serves the stream alone): the cached GOP
   * would be stale by the time a sink attaches, so it goes, and a new sink waits for a key frame.
   */
  dropCache(): void {
    this.resetGop();
  }

  get stats(): MediaSourceStats {
    return {
      ...this.counters,
      fps: this.frameRate.perSecond(),
      bitrateKbps: (this.byteRate.perSecond() * 8) / 1000,
      viewers: this.viewerCount,
      sinks: this.sinks.size,
    };
  }

  /** Codec parameters from the demuxer. A change reaches started sinks with the next key frame. */
  setParams(params: MediaParams): void {
    if (params.kind === 'video') this.tracks = { ...this.tracks, video: params };
    else this.tracks = { ...this.tracks, audio: params };
    this.tracksChangedPending = true;
  }

  push(au: AccessUnit): void {
    if (this.ended) return;
    const video = au.kind === 'video';
    const now = this.now();
    this.counters.lastFrameAt = now;
    this.counters.bytes += au.data.length;
    this.byteRate.add(au.data.length);
    if (video) {
      this.counters.videoFrames++;
      this.frameRate.add(1);
      if (au.keyframe) this.counters.keyframes++;
    } else {
      this.counters.audioFrames++;
    }
    const startsGop = this.startsGop(au);
    if (startsGop) this.resetGop();
    this.cache(au);
    if (startsGop && !this.isReady) {
      this.isReady = true;
      this.tracksChangedPending = false;
      this.emit('ready');
    }
    const announce = startsGop && this.tracksChangedPending;
    if (announce) this.tracksChangedPending = false;
    for (const state of this.sinks.values()) this.deliver(state, au, startsGop, announce);
  }

  /** Adds a consumer; returns the function that removes it again. */
  attach(sink: MediaSink, options: AttachOptions = {}): () => void {
    if (this.ended) {
      sink.end('stream-ended');
      return () => undefined;
    }
    const state: SinkState = { sink, viewer: options.viewer !== false, started: false, waitingKey: true, missedKeyframes: 0 };
    this.sinks.set(sink, state);
    if (this.isReady && !this.gopOverflow && this.gop.length > 0) {
      state.started = true;
      state.waitingKey = false;
      sink.start(this.tracks);
      for (const au of this.gop) sink.write(au);
    }
    if (state.viewer) this.setViewers(this.viewerCount + 1);
    this.emit('sinks', this.sinks.size);
    return () => this.detach(sink);
  }

  detach(sink: MediaSink): void {
    const state = this.sinks.get(sink);
    if (state === undefined) return;
    this.sinks.delete(sink);
    if (state.viewer) this.setViewers(this.viewerCount - 1);
    this.emit('sinks', this.sinks.size);
  }

  /** Ends every sink; further pushes are ignored. Idempotent. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    const states = [...this.sinks.values()];
    this.sinks.clear();
    for (const state of states) this.safeEnd(state.sink, 'stream-ended');
    this.resetGop();
    if (this.viewerCount !== 0) this.setViewers(0);
    this.emit('ended', reason);
  }

  private startsGop(au: AccessUnit): boolean {
    if (au.kind === 'video') return au.keyframe;
    // Audio-only streams: every frame is a start.
    return this.tracks.video === undefined && this.counters.videoFrames === 0;
  }

  private deliver(state: SinkState, au: AccessUnit, startsGop: boolean, announce: boolean): void {
    const { sink } = state;
    const pending = sink.pendingBytes();
    if (state.waitingKey && startsGop && pending > this.slowSkipBytes) state.missedKeyframes++;
    if (pending > this.slowDropBytes || state.missedKeyframes >= MAX_MISSED_KEYFRAMES) {
      this.counters.slowDrops++;
      this.options.logger?.warn({ streamId: this.streamId, kind: sink.kind, pending }, 'dropping a viewer that fell too far behind');
      this.detach(sink);
      this.safeEnd(sink, 'too-slow');
      return;
    }
    if (!state.waitingKey && pending > this.slowSkipBytes) {
      state.waitingKey = true;
      this.counters.slowSkips++;
    }
    if (state.waitingKey) {
      if (!startsGop || pending > this.slowSkipBytes) return;
      state.waitingKey = false;
      state.missedKeyframes = 0;
    }
    if (!state.started) {
      state.started = true;
      sink.start(this.tracks);
    } else if (announce) {
      sink.tracksChanged(this.tracks);
    }
    sink.write(au);
  }

  private cache(au: AccessUnit): void {
    if (this.gopOverflow || !this.isReadyFor(au)) return;
    if (this.gop.length >= this.gopMaxFrames || this.gopBytes + au.data.length > this.gopMaxBytes) {
      // A GOP this long is not worth holding; new viewers wait for the next key frame instead.
      this.gopOverflow = true;
      this.resetGopFrames();
      return;
    }
    this.gop.push(au);
    this.gopBytes += au.data.length;
  }

  /** Frames before the first key frame cannot start a viewer, so they are not cached. */
  private isReadyFor(au: AccessUnit): boolean {
    return this.gop.length > 0 || this.startsGop(au);
  }

  private resetGop(): void {
    this.resetGopFrames();
    this.gopOverflow = false;
  }

  private resetGopFrames(): void {
    this.gop.length = 0;
    this.gopBytes = 0;
  }

  private setViewers(count: number): void {
    this.viewerCount = count;
    this.emit('viewers', count);
  }

  private safeEnd(sink: MediaSink, reason: SinkEndReason): void {
    try {
      sink.end(reason);
    } catch (err) {
      this.options.logger?.error({ err, streamId: this.streamId, kind: sink.kind }, 'a media sink threw on end');
    }
  }
}
