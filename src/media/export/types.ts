import type { Logger } from '../../logger';

/** A recording file as the index lists it. */
export interface SegmentRef {
  /** Relative to the footage root, '/'-separated. */
  path: string;
  /** ms since epoch (UTC) of the file's first key frame. */
  start: number;
  /** ms since epoch, exclusive. */
  end: number;
}

export interface ExportClipOptions {
  /** Default 'ffmpeg' (looked up on PATH). */
  ffmpegPath?: string;
  /** Footage root: segment paths are relative to it and must stay inside it. */
  root: string;
  /** The channel's segments; those overlapping [from, to) are used, in start order. */
  segments: readonly SegmentRef[];
  /** ms UTC; the clip starts at the key frame at or before it. */
  from: number;
  /** ms UTC, exclusive; the clip ends at the first frame at or after it. */
  to: number;
  /** The MP4 to write; it appears under this name only when complete. */
  outFile: string;
  /** 0..1, not decreasing; 1 once the file is complete. */
  onProgress?(fraction: number): void;
  /** Aborting kills ffmpeg and removes the partial output. */
  signal?: AbortSignal;
  logger: Logger;
}

export interface SkippedSegment {
  path: string;
  reason: 'missing' | 'unreadable' | 'outside-root' | 'codec-change';
}

export interface ExportResult {
  outFile: string;
  bytes: number;
  /** Hex SHA-256 of the finished file. */
  sha256: string;
  /** Media duration of the MP4 (its movie header), ms. */
  durationMs: number;
  /** ms UTC of the first frame in the clip (the key frame at or before `from`). */
  startedAt: number;
  /** ms UTC where the clip's footage ends (`to`, or the end of the last segment before it). */
  endedAt: number;
  /** Segments in the range that could not be used; the clip covers the others. */
  skipped: SkippedSegment[];
}
