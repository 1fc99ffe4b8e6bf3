import type { AccessUnit, AudioCodec, AudioParams, VideoCodec, VideoParams } from '../../codec/types';
import { Fmp4Segments } from './fmp4-segments';
import { renderPlaylist, targetDurationFor } from './playlist';
import { TsMuxer } from './ts-muxer';

export interface HlsSegmenterOptions {
  video?: VideoCodec;
  /** G.711 is not carried (see TsMuxer): such a stream's HLS output is video only. */
  audio?: AudioCodec;
  /** Seconds a segment lasts at least before it is cut at the next key frame. Default 2. */
  targetDuration?: number;
  /** Segments listed in the playlist. Default 6. */
  windowSize?: number;
  /**
   * Segments still served after they left the playlist, for players that fetched the playlist
   * just before (RFC 8216 6.2.2). Default 2.
   */
  retainAfterWindow?: number;
  /**
   * 'ts' (default) or 'fmp4': fragmented MP4 segments with an init segment (EXT-X-MAP,
   * playlist version 7), which Safari and hls.js need for H.265.
   */
  container?: 'ts' | 'fmp4';
  /** fMP4: parameters known up front (key frames without parameter sets use them; AAC audio gets a track). */
  videoParams?: VideoParams;
  audioParams?: AudioParams;
  /** Segment URI for a media sequence number. Default `segment-<n>.ts` (`.m4s` for fMP4). */
  segmentName?: (sequence: number) => string;
  /** A forward timestamp jump larger than this (seconds) is a discontinuity. Default 10. */
  maxTimestampGap?: number;
  /** Called for each finished segment (a recorder can store it). */
  onSegment?: (segment: HlsSegment) => void;
}

export interface HlsSegment {
  name: string;
  sequence: number;
  /** Seconds. */
  duration: number;
  discontinuity: boolean;
  data: Buffer;
  /** fMP4: the init segment's name (EXT-X-MAP) this segment needs. */
  map?: string;
}

export interface HlsSegmenterStats {
  segments: number;
  discontinuities: number;
  /** Access units dropped while waiting for a key frame (stream start, after a discontinuity). */
  droppedWaitingForKeyframe: number;
}

interface OpenSegment {
  sequence: number;
  startPts: number;
  /** Latest presentation time of the clock track: the segment ends one frame after it. */
  lastPts: number;
  discontinuity: boolean;
  parts: Buffer[];
  /** fMP4 only: the access units, muxed when the segment closes (durations need the next frame). */
  frames: AccessUnit[];
}

const CLOCK_RATE = 90000;

/**
 * Cuts a stream of access units into MPEG-TS segments that each start with a key frame, and
 * keeps a sliding window of them in memory with the playlist that lists them. Video is the
 * clock when there is video; an audio-only stream is cut at any frame.
 */
export class HlsSegmenter {
  readonly stats: HlsSegmenterStats = { segments: 0, discontinuities: 0, droppedWaitingForKeyframe: 0 };
  private readonly muxer: TsMuxer;
  private readonly fmp4: Fmp4Segments | null;
  private readonly videoParams: VideoParams | undefined;
  private readonly targetTicks: number;
  private readonly windowSize: number;
  private readonly retain: number;
  private readonly maxGapTicks: number;
  private readonly name: (sequence: number) => string;
  private readonly onSegment: ((segment: HlsSegment) => void) | undefined;
  private hasVideo: boolean;
  private videoCodec: VideoCodec | undefined;
  private open: OpenSegment | null = null;
  private waitingForKeyframe = true;
  private discontinuityPending = false;
  private lastDts = -1;
  private frameTicks = 0;
  private nextSequence = 0;
  private discontinuitySequence = 0;
  private maxDuration = 0;
  private ended = false;
  private readonly window: HlsSegment[] = [];
  private readonly retired: HlsSegment[] = [];

  constructor(options: HlsSegmenterOptions = {}) {
    const target = options.targetDuration ?? 2;
    const windowSize = options.windowSize ?? 6;
    if (!(target > 0) || !Number.isInteger(windowSize) || windowSize < 1) throw new RangeError('targetDuration must be > 0 and windowSize a positive integer');
    this.muxer = new TsMuxer({ ...(options.video ? { video: options.video } : {}), ...(options.audio ? { audio: options.audio } : {}) });
    this.targetTicks = Math.round(target * CLOCK_RATE);
    this.windowSize = windowSize;
    this.retain = Math.max(0, options.retainAfterWindow ?? 2);
    this.maxGapTicks = (options.maxTimestampGap ?? 10) * CLOCK_RATE;
    this.fmp4 = options.container === 'fmp4' ? new Fmp4Segments(options.audioParams) : null;
    this.videoParams = options.videoParams;
    const extension = this.fmp4 ? 'm4s' : 'ts';
    this.name = options.segmentName ?? ((n) => `segment-${n}.${extension}`);
    this.onSegment = options.onSegment;
    this.hasVideo = options.video !== undefined;
    this.videoCodec = options.video;
  }

  /** The muxer's counters (skipped G.711 audio and the like). */
  get muxerStats(): TsMuxer['stats'] {
    return this.muxer.stats;
  }

  push(au: AccessUnit): void {
    if (this.ended) return;
    if (au.kind === 'video') this.hasVideo = true;
    const isClock = au.kind === 'video' || !this.hasVideo;
    let startsSegment = false;
    if (isClock) {
      if (this.nextSequence > 0 && this.isDiscontinuity(au)) {
        this.closeOpen();
        this.fmp4?.restartTimeline();
        this.waitingForKeyframe = true;
        this.discontinuityPending = true;
        this.stats.discontinuities++;
        this.lastDts = -1;
      }
      if (au.kind === 'video') this.videoCodec = au.codec === 'h265' ? 'h265' : 'h264';
      if (this.waitingForKeyframe && !au.keyframe) {
        this.stats.droppedWaitingForKeyframe++;
        return;
      }
      if (this.lastDts >= 0 && au.dts > this.lastDts) this.frameTicks = au.dts - this.lastDts;
      this.lastDts = au.dts;
      if (this.waitingForKeyframe || (au.keyframe && this.open && au.pts - this.open.startPts >= this.targetTicks)) {
        this.closeOpen(au.pts, au.kind === 'video' ? au.dts : undefined);
        this.openSegment(au.pts);
        startsSegment = true;
      }
    }
    const open = this.open;
    if (!open) {
      this.stats.droppedWaitingForKeyframe++;
      return;
    }
    if (isClock) open.lastPts = Math.max(open.lastPts, au.pts);
    if (this.fmp4) {
      open.frames.push(au);
      return;
    }
    const packets = this.muxer.mux(au, startsSegment);
    if (packets) open.parts.push(packets);
  }

  /** The stream ended: the open segment is finished and the playlist gets EXT-X-ENDLIST. */
  end(): void {
    if (this.ended) return;
    this.closeOpen();
    this.ended = true;
  }

  playlist(): string {
    return renderPlaylist({
      targetDuration: targetDurationFor(this.maxDuration || this.targetTicks / CLOCK_RATE),
      mediaSequence: this.window[0]?.sequence ?? this.nextSequence,
      discontinuitySequence: this.discontinuitySequence,
      entries: this.window.map((s) => ({ uri: s.name, duration: s.duration, discontinuity: s.discontinuity, ...(s.map !== undefined ? { map: s.map } : {}) })),
      version: this.fmp4 ? 7 : 3,
      ended: this.ended,
    });
  }

  /** A segment's bytes by name, while it is listed or shortly after; otherwise null. */
  segment(name: string): Buffer | null {
    const init = this.fmp4?.init(name);
    if (init) return init;
    return (this.window.find((s) => s.name === name) ?? this.retired.find((s) => s.name === name))?.data ?? null;
  }

  /** The segments the playlist lists, oldest first. */
  segments(): readonly HlsSegment[] {
    return this.window;
  }

  private isDiscontinuity(au: AccessUnit): boolean {
    if (au.kind === 'video' && this.videoCodec !== undefined && au.codec !== this.videoCodec) return true;
    if (this.lastDts < 0) return false;
    return au.dts < this.lastDts || au.dts - this.lastDts > this.maxGapTicks;
  }

  private openSegment(pts: number): void {
    this.open = { sequence: this.nextSequence++, startPts: pts, lastPts: pts, discontinuity: this.discontinuityPending, parts: [], frames: [] };
    this.waitingForKeyframe = false;
    this.discontinuityPending = false;
  }

  /** Finishes the open segment at `endPts`, or one frame after its last frame. */
  private closeOpen(endPts = -1, nextVideoDts?: number): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const end = endPts >= 0 ? endPts : open.lastPts + this.frameTicks;
    let data: Buffer;
    let map: string | undefined;
    if (this.fmp4) {
      const built = this.fmp4.build(open.sequence, open.frames, nextVideoDts, this.videoParams);
      if (!built) {
        // No key frame with parameters: nothing a player could decode. Its number is reused.
        this.nextSequence = open.sequence;
        this.discontinuityPending ||= open.discontinuity;
        return;
      }
      data = built.data;
      map = built.map;
    } else {
      data = Buffer.concat(open.parts);
    }
    const segment: HlsSegment = {
      name: this.name(open.sequence),
      sequence: open.sequence,
      duration: Math.max(0, end - open.startPts) / CLOCK_RATE,
      discontinuity: open.discontinuity,
      data,
      ...(map !== undefined ? { map } : {}),
    };
    this.maxDuration = Math.max(this.maxDuration, segment.duration);
    this.window.push(segment);
    this.stats.segments++;
    while (this.window.length > this.windowSize) {
      const old = this.window.shift() as HlsSegment;
      if (old.discontinuity) this.discontinuitySequence++;
      this.retired.push(old);
      if (this.retired.length > this.retain) this.retired.shift();
    }
    this.fmp4?.keepOnly(new Set([...this.window, ...this.retired].flatMap((s) => (s.map !== undefined ? [s.map] : []))));
    this.onSegment?.(segment);
  }
}
