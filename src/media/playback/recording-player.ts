import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import type { AudioParams, MediaParams, VideoParams } from '../codec/types';
import type { MediaSource } from '../source/media-source';
import { OutputTimeline, type OutputTimes } from './output-timeline';
import { RecordingReader, type ReaderStats } from './recording-reader';
import type { PlaybackEntry, RecordingSegmentRef } from './segment-reading';

export type PlaybackState = 'playing' | 'paused' | 'ended';

export const MIN_SPEED = 0.5;
export const MAX_SPEED = 8;

export interface RecordingPlayerOptions {
  /** Where the frames go; the player never ends it (its owner does, e.g. on 'ended'). */
  source: MediaSource;
  /** The recording, any order; overlapping or missing files are tolerated. */
  segments: readonly RecordingSegmentRef[];
  /** ms since epoch (UTC) to start at (the key frame at or before it). */
  from: number;
  /** 0.5..8, default 1. */
  speed?: number;
  logger: Logger;
  /** Bytes per file read, and how many demuxed bytes may wait before the next read. Default 256 KiB. */
  readAheadBytes?: number;
  /** Above this speed only key frames are sent. Default 2. */
  keyframesOnlyAbove?: number;
  /** 'position' events come at most this often while playing. Default 1000. */
  positionIntervalMs?: number;
  /** Monotonic clock in ms. Default performance.now. */
  now?: () => number;
}

export interface RecordingPlayerEvents {
  /** ms since epoch of the last frame sent; after a start or seek at once, then at most every positionIntervalMs. */
  position: [ms: number];
  state: [state: PlaybackState];
  /** The last segment is done (the source stays open: a seek plays again). */
  ended: [];
  /** A file could not be played (missing, unreadable, nothing playable in it) and was passed over. */
  segmentSkipped: [path: string, reason: string];
}

export interface RecordingPlayerStats extends ReaderStats {
  videoFramesSent: number;
  audioFramesSent: number;
  keyframesSent: number;
  /** Non-key frames left out above the key-frame-only speed (or until the next key frame after it). */
  framesLeftOut: number;
  /** Audio left out at speeds other than 1x, or overlapping audio already sent after a seek. */
  audioLeftOut: number;
}

/**
 * A frame due this much earlier than now means playback stalled (slow disk, a blocked loop):
 * the clock restarts rather than bursting the backlog. Shorter delays are caught up, so wall
 * time keeps matching media time.
 */
const LATE_MS = 1000;
/** Before the first frame the player waits for every track's parameters, or this much media. */
const PRIME_TICKS = 90000;
/** Beyond this, recorded time between two frames is a break, however the files are indexed. */
const MAX_CONTINUOUS_GAP_MS = 10_000;

/**
 * Plays a recording (a list of TS segment files) into a MediaSource as if it were live, so every
 * output (HTTP-FLV, WS-FLV, HLS, RTSP) serves it unchanged. Files are read ahead in chunks,
 * access units are re-timed onto one continuous output timeline (no step back or jump at
 * segment boundaries, gaps or seeks) and pushed by one timer at the pace of their timestamps
 * divided by the speed. Audio is sent at 1x only; above `keyframesOnlyAbove` only key frames.
 */
export class RecordingPlayer extends EventEmitter<RecordingPlayerEvents> {
  readonly stats: RecordingPlayerStats = {
    segmentsPlayed: 0,
    segmentsSkipped: 0,
    bytesRead: 0,
    videoFramesSent: 0,
    audioFramesSent: 0,
    keyframesSent: 0,
    framesLeftOut: 0,
    audioLeftOut: 0,
    damage: 0,
  };
  private readonly segments: RecordingSegmentRef[];
  private readonly source: MediaSource;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly readAhead: number;
  private readonly keyOnlyAbove: number;
  private readonly positionInterval: number;
  private speedValue: number;
  private stateValue: PlaybackState = 'paused';
  private positionValue: number;
  private started = false;
  private closed = false;
  private timeline: OutputTimeline;
  private queue: PlaybackEntry[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  private reader: RecordingReader | null = null;
  /** No more files to read: when the queue is empty, playback has ended. */
  private readingDone = false;
  /** Incremented by every seek: work started for an earlier position is thrown away. */
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  /** wall = clock.wall + (out - clock.out) / 90 */
  private clock = { wall: 0, out: 0 };
  private rebase = true;
  private sentAny = false;
  private needKeyframe = false;
  private lastPositionEventAt = -Infinity;
  /** Recorded time (ms UTC) of the last video frame sent. */
  private lastVideoUtc = -1;

  constructor(options: RecordingPlayerOptions) {
    super();
    this.source = options.source;
    this.segments = [...options.segments].sort((a, b) => a.start - b.start);
    this.log = options.logger.child({ component: 'recording-player', stream: options.source.streamId });
    this.now = options.now ?? (() => performance.now());
    this.readAhead = Math.max(4096, options.readAheadBytes ?? 256 * 1024);
    this.keyOnlyAbove = options.keyframesOnlyAbove ?? 2;
    this.positionInterval = options.positionIntervalMs ?? 1000;
    this.speedValue = checkSpeed(options.speed ?? 1);
    this.positionValue = options.from;
    this.timeline = new OutputTimeline(this.speedValue);
  }

  get state(): PlaybackState {
    return this.stateValue;
  }

  /** ms since epoch of the last frame sent (the start time until the first). */
  get position(): number {
    return this.positionValue;
  }

  get speed(): number {
    return this.speedValue;
  }

  /** Begins reading and playing at `from`. Only the first call does anything. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.setState('playing');
    this.playFrom(this.positionValue);
  }

  pause(): void {
    if (this.closed || this.stateValue !== 'playing') return;
    this.clearTimer();
    this.setState('paused');
  }

  /** Continues where pause() stopped; the output timeline continues without a jump. */
  resume(): void {
    if (this.closed || this.stateValue !== 'paused' || !this.started) return;
    this.rebase = true;
    this.setState('playing');
    this.schedule();
  }

  /**
   * Jumps to the key frame at or before `time` (ms UTC), in whichever segment holds it (the next
   * segment's start when `time` falls in a gap). A paused player stays paused; an ended one plays.
   */
  seek(time: number): void {
    if (this.closed || !Number.isFinite(time)) return;
    if (!this.started) {
      this.positionValue = time;
      return;
    }
    this.positionValue = time;
    this.lastPositionEventAt = -Infinity;
    if (this.stateValue === 'ended') this.setState('playing');
    this.playFrom(time);
  }

  /** 0.5..8 (RangeError otherwise). Takes effect from the next frame on, without a timestamp jump. */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    if (this.closed || speed === this.speedValue) return;
    const wasKeyOnly = this.keyframesOnly;
    this.speedValue = speed;
    this.timeline.setSpeed(speed);
    if (wasKeyOnly && !this.keyframesOnly) this.needKeyframe = true;
    if (this.stateValue === 'playing') this.schedule();
  }

  /** Stops reading and pushing; the source is left to its owner. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.clearTimer();
    this.reader?.close();
    this.reader = null;
    this.queue = [];
    this.queueHead = 0;
    this.queueBytes = 0;
  }

  private get keyframesOnly(): boolean {
    return this.speedValue > this.keyOnlyAbove;
  }

  private playFrom(time: number): void {
    this.reader?.close();
    this.generation++;
    this.clearTimer();
    this.queue = [];
    this.queueHead = 0;
    this.queueBytes = 0;
    this.readingDone = false;
    this.needKeyframe = false;
    const generation = this.generation;
    const current = (): boolean => generation === this.generation && !this.closed;
    this.reader = new RecordingReader({
      segments: this.segments,
      from: time,
      chunkBytes: this.readAhead,
      logger: this.log,
      stats: this.stats,
      onEntry: (e) => this.enqueue(e),
      onFrameTicks: (t) => (this.timeline.frameTicks = t),
      onSkipped: (segment, reason) => this.emit('segmentSkipped', segment.path, reason),
      onProgress: () => {
        if (current()) this.schedule();
      },
      onDone: () => {
        if (!current()) return;
        this.readingDone = true;
        this.schedule();
      },
      wantsMore: () => this.queueBytes < this.readAhead,
    });
    this.reader.start();
  }

  private enqueue(entry: PlaybackEntry): void {
    this.queue.push(entry);
    this.queueBytes += entry.au.data.length;
  }

  private schedule(): void {
    if (this.timer === null && this.stateValue === 'playing' && !this.closed) this.sendDue();
  }

  private readonly tick = (): void => {
    this.timer = null;
    this.sendDue();
  };

  /** Sends every unit that is due, then sleeps until the next one is. */
  private sendDue(): void {
    const generation = this.generation;
    while (this.stateValue === 'playing' && generation === this.generation) {
      const entry = this.queue[this.queueHead];
      if (!entry) break;
      if (!this.primed()) return;
      if (this.needKeyframe && entry.au.kind === 'video' && entry.au.keyframe) {
        // Back from key frames only: the rest of the GOP cannot be decoded, so the next GOP
        // follows on at the next frame slot instead of after a frozen picture.
        entry.stretch = true;
        entry.continues = false;
      }
      if (entry.stretch) {
        const gapMs = entry.continues && this.lastVideoUtc >= 0 ? entry.utc - this.lastVideoUtc : 0;
        this.timeline.beginStretch(entry.au.dts, gapMs > 0 && gapMs <= MAX_CONTINUOUS_GAP_MS ? Math.round(gapMs * 90) : 0);
        entry.stretch = false;
      }
      const times = this.wanted(entry) ? this.timeline.place(entry.au) : null;
      if (!times) {
        if (entry.au.kind === 'audio') this.stats.audioLeftOut++;
        else this.stats.framesLeftOut++;
        this.take();
        continue;
      }
      const now = this.now();
      let due = this.clock.wall + (times.dts - this.clock.out) / 90;
      if (this.rebase || due < now - LATE_MS) {
        this.rebase = false;
        this.clock = { wall: now, out: times.dts };
        due = now;
      }
      if (due > now + 1) {
        this.timer = setTimeout(this.tick, Math.ceil(due - now));
        break;
      }
      this.take();
      this.send(entry, times);
    }
    if (generation !== this.generation || this.closed) return;
    if (this.queueHead >= this.queue.length && this.readingDone && this.stateValue === 'playing') {
      this.finish();
      return;
    }
    this.reader?.pump();
  }

  private take(): void {
    const entry = this.queue[this.queueHead];
    if (!entry) return;
    this.queueBytes -= entry.au.data.length;
    this.queueHead++;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Before the very first frame: wait until every track has parameters, or enough is read. */
  private primed(): boolean {
    if (this.sentAny || this.readingDone || this.queueBytes >= this.readAhead) return true;
    if (!this.reader || this.reader.paramsComplete) return true;
    const first = this.queue[this.queueHead];
    const last = this.queue[this.queue.length - 1];
    return first !== undefined && last !== undefined && last.au.dts - first.au.dts >= PRIME_TICKS;
  }

  private wanted(entry: PlaybackEntry): boolean {
    const au = entry.au;
    if (au.kind === 'audio') return this.speedValue === 1 && !this.needKeyframe;
    if (au.keyframe) {
      this.needKeyframe = false;
      return true;
    }
    return !this.needKeyframe && !this.keyframesOnly;
  }

  private send(entry: PlaybackEntry, times: OutputTimes): void {
    if (!this.sentAny) this.announceQueuedParams(entry);
    else if (entry.params) for (const p of entry.params) this.applyParams(p);
    entry.params = null;
    this.sentAny = true;
    this.timeline.commit(entry.au, times);
    const au = entry.au;
    this.source.push({ ...au, pts: times.pts, dts: times.dts });
    if (au.kind === 'video') {
      this.lastVideoUtc = entry.utc;
      this.stats.videoFramesSent++;
      if (au.keyframe) this.stats.keyframesSent++;
    } else {
      this.stats.audioFramesSent++;
    }
    this.positionValue = Math.round(entry.utc);
    const now = this.now();
    if (now - this.lastPositionEventAt >= this.positionInterval) {
      this.lastPositionEventAt = now;
      this.emit('position', this.positionValue);
    }
  }

  /** The first frame ever: announce every track read so far, so outputs start with all of them. */
  private announceQueuedParams(first: PlaybackEntry): void {
    for (const p of first.params ?? []) this.applyParams(p);
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const e = this.queue[i] as PlaybackEntry;
      if (e.stretch) break;
      for (const p of e.params ?? []) this.applyParams(p);
      e.params = null;
    }
  }

  private applyParams(p: MediaParams): void {
    const current = p.kind === 'video' ? this.source.currentTracks.video : this.source.currentTracks.audio;
    if (current && sameParams(current, p)) return;
    this.source.setParams(p);
  }

  private finish(): void {
    this.clearTimer();
    this.setState('ended');
    this.log.info({ position: this.positionValue, ...this.stats }, 'recording playback reached the end');
    this.emit('ended');
  }

  private setState(state: PlaybackState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

function checkSpeed(speed: number): number {
  if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) throw new RangeError(`playback speed must be within ${MIN_SPEED}..${MAX_SPEED}, got ${speed}`);
  return speed;
}

function sameParams(a: VideoParams | AudioParams, b: MediaParams): boolean {
  if (a.kind === 'video' && b.kind === 'video') {
    return a.codec === b.codec && a.sps.equals(b.sps) && a.pps.equals(b.pps) && (a.vps === undefined) === (b.vps === undefined) && (!a.vps || !b.vps || a.vps.equals(b.vps));
  }
  if (a.kind === 'audio' && b.kind === 'audio') {
    return a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels;
  }
  return false;
}
