import type { AccessUnit, MediaParams } from '../codec/types';
import { ptsDelta } from '../record/ts-scan';
import { locateKeyframe, SegmentFile } from './segment-file';
import { TsDemuxer, type TsDemuxStats } from './ts-demuxer';

/** One recording file as the player knows it (from the recordings index). */
export interface RecordingSegmentRef {
  /** Absolute path of the TS file. */
  path: string;
  /** ms since epoch (UTC) of its first frame. */
  start: number;
  /** ms since epoch, exclusive. */
  end: number;
}

/** An access unit on its way to the output, with recorded timestamps. */
export interface PlaybackEntry {
  au: AccessUnit;
  /** ms since epoch of the picture (or sound). */
  utc: number;
  /** Starts a stretch of the output timeline: the first key frame of a segment or after a seek. */
  stretch: boolean;
  /** On a stretch: the file follows the one played before without a break in recorded time. */
  continues: boolean;
  /** Codec parameters that take effect with this unit. */
  params: MediaParams[] | null;
}

export interface SegmentReadingOptions {
  segment: RecordingSegmentRef;
  /** Start at the key frame at or before this time (ms UTC); -1 for the segment's first key frame. */
  target: number;
  chunkBytes: number;
  /** The file follows the one played before it without a break in recorded time. */
  continues: boolean;
  onEntry(entry: PlaybackEntry): void;
  /** Media ticks between two consecutive video frames, as seen in the file. */
  onFrameTicks(ticks: number): void;
}

/**
 * Reads one segment file for playback: finds where to start, reads chunk by chunk on request,
 * demuxes, and hands on access units from the first key frame on (from the key frame at or
 * before the target when there is one). Audio before that key frame is not handed on either.
 */
export class SegmentReading {
  /** Access units handed on. */
  entries = 0;
  bytesRead = 0;
  private file: SegmentFile | null = null;
  private position = 0;
  private demuxer: TsDemuxer | null = null;
  private firstPts = -1;
  private keyDts = -1;
  private skipUntil: number;
  private held: PlaybackEntry[] = [];
  private pendingParams: MediaParams[] = [];
  private lastVideoDts = -1;
  private cancelled = false;
  private finished = false;

  constructor(private readonly o: SegmentReadingOptions) {
    this.skipUntil = o.target > o.segment.start ? o.target : -1;
  }

  get segment(): RecordingSegmentRef {
    return this.o.segment;
  }

  get demuxStats(): TsDemuxStats | null {
    return this.demuxer?.stats ?? null;
  }

  /** Whether every track of the file has announced its parameters. */
  get paramsComplete(): boolean {
    return this.demuxer?.paramsComplete ?? false;
  }

  /** Opens the file and finds the starting point. Rejects when the file cannot be read. */
  async open(): Promise<void> {
    const file = await SegmentFile.open(this.o.segment.path);
    this.file = file;
    if (this.cancelled) return this.close();
    let offset = 0;
    let streams = null;
    if (this.skipUntil >= 0) {
      const found = await locateKeyframe(file, this.skipUntil - this.o.segment.start, this.o.chunkBytes, () => !this.cancelled);
      offset = found.offset;
      streams = found.streams;
      this.firstPts = found.firstPts;
    }
    this.position = offset;
    this.demuxer = new TsDemuxer({
      streams,
      onFrame: (au) => this.frame(au),
      onParams: (p) => this.pendingParams.push(p),
    });
  }

  /** Reads and demuxes the next chunk; false once the file is done (then finished). */
  async readNext(): Promise<boolean> {
    const file = this.file;
    const demuxer = this.demuxer;
    if (!file || !demuxer || this.finished || this.cancelled) return false;
    const chunk = await file.read(this.position, this.o.chunkBytes);
    if (this.cancelled) return false;
    if (chunk.length === 0) {
      this.finish();
      return false;
    }
    this.position += chunk.length;
    this.bytesRead += chunk.length;
    demuxer.push(chunk);
    return true;
  }

  /** Stops handing on anything and closes the file. Idempotent. */
  cancel(): Promise<void> {
    this.cancelled = true;
    return this.close();
  }

  private finish(): void {
    if (this.finished) return;
    this.demuxer?.flush();
    this.finished = true;
    // The target lies past the last frame: play the file's last GOP.
    this.release();
    void this.close();
  }

  private close(): Promise<void> {
    const file = this.file;
    this.file = null;
    return file ? file.close() : Promise.resolve();
  }

  private frame(au: AccessUnit): void {
    if (this.cancelled) return;
    if (au.kind === 'video') this.noteVideo(au);
    if (this.keyDts < 0) {
      if (au.kind !== 'video' || !au.keyframe) return;
      this.keyDts = au.dts;
    }
    if (au.kind === 'audio' && au.dts < this.keyDts) return;
    const entry: PlaybackEntry = {
      au,
      utc: this.o.segment.start + ptsDelta(this.firstPts, au.pts) / 90,
      stretch: this.entries === 0 && this.held.length === 0,
      continues: this.o.continues,
      params: this.pendingParams.length > 0 ? this.pendingParams : null,
    };
    this.pendingParams = [];
    if (this.skipUntil < 0) {
      this.hand(entry);
      return;
    }
    if (au.kind === 'video' && entry.utc > this.skipUntil && this.held.length > 0) {
      this.release();
      this.hand(entry);
    } else if (au.kind === 'video' && au.keyframe) {
      // A later key frame still at or before the target: the GOP held so far is not needed.
      const params = this.held.flatMap((e) => e.params ?? []);
      if (entry.params) params.push(...entry.params);
      this.held = [{ ...entry, stretch: true, params: params.length > 0 ? params : null }];
    } else {
      this.held.push(entry);
    }
  }

  private noteVideo(au: AccessUnit): void {
    if (this.firstPts < 0) this.firstPts = au.pts;
    const d = au.dts - this.lastVideoDts;
    if (this.lastVideoDts >= 0 && d > 0 && d < 90000) this.o.onFrameTicks(d);
    this.lastVideoDts = au.dts;
  }

  private release(): void {
    this.skipUntil = -1;
    const held = this.held;
    this.held = [];
    for (const e of held) this.hand(e);
  }

  private hand(entry: PlaybackEntry): void {
    this.entries++;
    this.o.onEntry(entry);
  }
}
