/**
 * Where recordings live under the footage root:
 * `<channelId>/<YYYY-MM-DD, UTC day of the start>/<channelId>_<startMs>.ts`, written as
 * `<same>.ts.part` until the segment is closed.
 */
export const PART_SUFFIX = '.part';

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function segmentId(channelId: string, startMs: number): string {
  return `${channelId}_${startMs}`;
}

/** The '/'-separated path of a finished segment, relative to the root. */
export function segmentRelativePath(channelId: string, startMs: number): string {
  return `${channelId}/${utcDay(startMs)}/${segmentId(channelId, startMs)}.ts`;
}

/** Channel ids become directory and file names: keep them to a safe alphabet. */
export function isSafeChannelId(channelId: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(channelId);
}

export interface SegmentName {
  channelId: string;
  startMs: number;
}

/** Reads channel and start from `<channelId>_<startMs>.ts`; null for a name we did not write. */
export function parseSegmentFileName(name: string): SegmentName | null {
  const m = /^([A-Za-z0-9-]{1,64})_(\d{1,15})\.ts$/.exec(name);
  if (!m) return null;
  const startMs = Number(m[2]);
  return Number.isSafeInteger(startMs) ? { channelId: m[1] ?? '', startMs } : null;
}
