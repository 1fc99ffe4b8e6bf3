import type { Logger } from '../../logger';

/**
 * One finished recording file, as the recorder reports it. Mirrors the storage layer's
 * RecordingSegment without the fields the index owns (`locked`, `createdAt`).
 */
export interface FinishedSegment {
  /** `<channelId>_<startMs>`: the file's base name, unique per channel. */
  id: string;
  channelId: string;
  /** The device the channel belongs to; '' when recovered from disk and not known there. */
  deviceId: string;
  /** ms since epoch (UTC) of the first key frame. */
  start: number;
  /** ms since epoch, exclusive. */
  end: number;
  /** Relative to the footage root, '/'-separated: `<channelId>/<YYYY-MM-DD>/<id>.ts`. */
  path: string;
  bytes: number;
  videoCodec: string;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
}

export interface SegmentWriterOptions {
  /** Footage root directory. */
  root: string;
  channelId: string;
  deviceId: string;
  /** A segment is cut at the first key frame at least this long after its start. Default 60. */
  segmentSeconds?: number;
  /** Wall clock in ms since epoch. Default Date.now. */
  clock?: () => number;
  logger: Logger;
  onSegment(segment: FinishedSegment): void;
  /** A file operation failed (disk full, permissions): recording has stopped. */
  onError?(err: Error): void;
  /**
   * A gap between consecutive video timestamps larger than this (or any step back) closes the
   * segment; the next one starts at the next key frame on the wall clock. Default 5.
   */
  maxTimestampGapSeconds?: number;
  /**
   * How far media time may stray from the wall clock before the wall clock wins (segment end),
   * and how close a new segment's start must be to the previous end to continue it. Default 5000.
   */
  maxDriftMs?: number;
  /** Buffered bytes that trigger a write. Default 256 KiB. */
  writeThresholdBytes?: number;
  /** Buffered access units that trigger a write. Default 8. */
  writeThresholdFrames?: number;
}
