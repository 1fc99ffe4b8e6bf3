import type { Logger } from '../../logger';
import type { exportClip } from './export-clip';
import type { ExportResult, SegmentRef } from './types';

export interface ExportRequest {
  channelId: string;
  /** ms UTC. */
  from: number;
  /** ms UTC, exclusive. */
  to: number;
  /**
   * Where the footage comes from: platform recordings (default), or a stream the media node
   * serves, kept until it ends (a device's Download session).
   */
  source?: { kind: 'stream'; url: string; streamId: string };
}

export type ExportJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * An export job as callers see it and as a store keeps it: plain JSON (no methods, no Dates),
 * so `JSON.parse(JSON.stringify(job))` gives it back unchanged and `ExportJobs.restore` takes it.
 */
export interface ExportJobRecord extends ExportRequest {
  id: string;
  state: ExportJobState;
  /** 0..1. */
  progress: number;
  /** ms UTC. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** When done: the file (`<dataDir>/exports/<id>.mp4`), its size, hash and span. */
  result?: ExportResult;
  /** When failed: ExportError's failure ('no-footage', 'ffmpeg-failed', ...) or 'internal'. */
  error?: { code: string; message: string };
}

export interface ExportJobsOptions {
  /** Exports go to `<dataDir>/exports/<jobId>.mp4`. */
  dataDir: string;
  /** Footage root the segment paths are relative to. */
  root: string;
  /**
   * The channel's segments overlapping [from, to), from the recording index. `jobId` lets the
   * caller hold them against retention until the job's final 'change' event.
   */
  findSegments(channelId: string, from: number, to: number, jobId: string): Promise<SegmentRef[]> | SegmentRef[];
  ffmpegPath?: string;
  /** Exports running at once. Default 2. */
  concurrency?: number;
  /** How long a finished job and its file are kept, ms. Default 24 h. */
  ttlMs?: number;
  /** How often expired jobs are pruned, ms. Default min(ttlMs, 10 min). */
  pruneIntervalMs?: number;
  /** Longest range one job may ask for, ms. Default 24 h. */
  maxRangeMs?: number;
  /** ms UTC. Default Date.now. */
  clock?: () => number;
  logger: Logger;
  /** Stands in for exportClip (tests). */
  exporter?: typeof exportClip;
}

export interface ExportJobsEvents {
  /** Finished with a file. */
  done: [job: ExportJobRecord];
  failed: [job: ExportJobRecord];
  cancelled: [job: ExportJobRecord];
  /** Any change of state, including the three above; the record to store. */
  change: [job: ExportJobRecord];
  progress: [job: ExportJobRecord];
  /** Removed after its TTL, with its file. */
  pruned: [job: ExportJobRecord];
}
