import type { Logger } from '../../logger';
import { SegmentReading, type PlaybackEntry, type RecordingSegmentRef } from './segment-reading';

/** Files whose recorded times meet this closely (the recorder's own tolerance) play as one. */
const CONTIGUOUS_MS = 1000;

export interface ReaderStats {
  segmentsPlayed: number;
  segmentsSkipped: number;
  bytesRead: number;
  /** Demuxer damage summed over the files read: resyncs, dropped PES, continuity errors, bad packets. */
  damage: number;
}

export interface RecordingReaderOptions {
  /** Sorted by start. */
  segments: readonly RecordingSegmentRef[];
  /** ms UTC: reading starts at the key frame at or before it (the next file's start in a gap). */
  from: number;
  chunkBytes: number;
  logger: Logger;
  /** Shared with the player, summed over every reader it makes. */
  stats: ReaderStats;
  onEntry(entry: PlaybackEntry): void;
  onFrameTicks(ticks: number): void;
  onSkipped(segment: RecordingSegmentRef, reason: string): void;
  /** Something was read: a chance to send. */
  onProgress(): void;
  /** Every file is read. */
  onDone(): void;
  /** Asked before each read; false holds reading until pump() is called again. */
  wantsMore(): boolean;
}

/**
 * Reads a recording file after file, from a start time to the end, one chunk at a time and only
 * while the player wants more. Files that cannot be opened or hold nothing playable are skipped
 * with a log line. One reader per start or seek; close() abandons it, work in flight included.
 */
export class RecordingReader {
  private reading: SegmentReading | null = null;
  private index = -1;
  private busy = false;
  private closed = false;
  /** The last file read to its end with something played, to tell whether the next one continues it. */
  private lastPlayed: RecordingSegmentRef | null = null;
  constructor(private readonly o: RecordingReaderOptions) {}

  /** Whether the file being read has announced the parameters of all its tracks. */
  get paramsComplete(): boolean {
    return this.reading === null || this.reading.paramsComplete;
  }

  start(): void {
    let index = this.o.segments.findIndex((s) => this.o.from < s.end);
    if (index < 0) index = this.o.segments.length;
    void this.open(index, this.o.from);
  }

  /** Reads the next chunk unless one is in flight or the player has enough. */
  pump(): void {
    const reading = this.reading;
    if (!reading || this.busy || this.closed || !this.o.wantsMore()) return;
    this.busy = true;
    const before = reading.bytesRead;
    reading.readNext().then(
      (more) => {
        if (this.closed) return;
        this.busy = false;
        this.o.stats.bytesRead += reading.bytesRead - before;
        if (more) {
          this.o.onProgress();
          this.pump();
        } else {
          this.fileDone(reading, null);
        }
      },
      (err: unknown) => {
        if (this.closed) return;
        this.busy = false;
        void reading.cancel();
        this.fileDone(reading, err);
      },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.reading?.cancel();
    this.reading = null;
  }

  private async open(index: number, target: number): Promise<void> {
    await Promise.resolve(); // events from here on reach listeners added after start() / seek()
    for (; index < this.o.segments.length && !this.closed; index++) {
      const segment = this.o.segments[index] as RecordingSegmentRef;
      const last = this.lastPlayed;
      const reading = new SegmentReading({
        segment,
        target,
        chunkBytes: this.o.chunkBytes,
        continues: target < 0 && last !== null && Math.abs(segment.start - last.end) <= CONTIGUOUS_MS,
        onEntry: (e) => this.o.onEntry(e),
        onFrameTicks: (t) => this.o.onFrameTicks(t),
      });
      try {
        await reading.open();
      } catch (err) {
        await reading.cancel(); // the file may be open: the error came while looking for the start
        if (this.closed) return;
        this.skip(segment, `cannot be read: ${errorCode(err)}`);
        target = -1;
        continue;
      }
      if (this.closed) {
        await reading.cancel();
        return;
      }
      this.reading = reading;
      this.index = index;
      this.pump();
      return;
    }
    if (!this.closed) this.o.onDone();
  }

  private fileDone(reading: SegmentReading, err: unknown): void {
    this.reading = null;
    const stats = this.o.stats;
    const d = reading.demuxStats;
    const damage = d ? d.resyncs + d.pesDropped + d.continuityErrors + d.badPackets : 0;
    stats.damage += damage;
    if (err !== null) this.skip(reading.segment, `read failed: ${errorCode(err)}`);
    else if (reading.entries === 0) this.skip(reading.segment, 'no playable frames');
    else {
      this.lastPlayed = reading.segment;
      stats.segmentsPlayed++;
      if (damage > 0) this.o.logger.warn({ path: reading.segment.path, demux: d }, 'damaged recording segment: played what could be read');
    }
    this.o.onProgress();
    void this.open(this.index + 1, -1);
  }

  private skip(segment: RecordingSegmentRef, reason: string): void {
    this.lastPlayed = null;
    this.o.stats.segmentsSkipped++;
    this.o.logger.warn({ path: segment.path, start: segment.start, end: segment.end, reason }, 'recording segment skipped');
    this.o.onSkipped(segment, reason);
  }
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : String(err);
}
