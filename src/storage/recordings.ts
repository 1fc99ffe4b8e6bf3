import { DEFAULT_JOIN_GAP_MS } from './recording-coverage';
import type { RecordingSegment } from './types';

/**
 * Input rules for the recording index, shared by the adapters so that they accept and refuse the
 * same things. Bad input is a caller's bug, refused with a RangeError before anything is written.
 */

/**
 * The longest segment the index accepts. The recorder cuts about every 60 s; a far longer one
 * means a clock jump. The stores bound their overlap query by the longest segment stored for
 * the channel, so one absurd segment would slow every later query of that channel.
 */
export const MAX_RECORDING_SEGMENT_MS = 24 * 60 * 60 * 1000;

/**
 * A time window [from, to). from === to is an empty window (empty answers); from > to, or a
 * bound that is not a finite number, is a RangeError (a swapped pair of dates should not read as
 * "no footage").
 */
export function checkRecordingWindow(window: { from: number; to: number }): void {
  const { from, to } = window;
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new RangeError(`recording window bounds must be finite numbers (from=${from}, to=${to})`);
  }
  if (from > to) throw new RangeError(`recording window from (${from}) is after to (${to})`);
}

/** joinGapMs of a coverage query: unset means the default; otherwise a finite number >= 0. */
export function joinGapOf(joinGapMs: number | undefined): number {
  if (joinGapMs === undefined) return DEFAULT_JOIN_GAP_MS;
  if (!Number.isFinite(joinGapMs) || joinGapMs < 0) {
    throw new RangeError(`joinGapMs must be a finite number >= 0 (got ${joinGapMs})`);
  }
  return joinGapMs;
}

/** An optional limit: unset = no limit (null); otherwise floored, and anything below 1 means none at all (0). */
export function recordingLimitOf(limit: number | undefined): number | null {
  if (limit === undefined) return null;
  return Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : 0;
}

/**
 * Checks every segment and returns them complete (nullable fields null, flags boolean), one per
 * id with the last copy winning, in the order given. Throws a RangeError naming the first bad
 * segment; then nothing is written.
 */
export function normalizeRecordingSegments(segments: readonly RecordingSegment[]): RecordingSegment[] {
  const byId = new Map<string, RecordingSegment>();
  for (const segment of segments) {
    checkRecordingSegment(segment);
    byId.delete(segment.id);
    byId.set(segment.id, {
      id: segment.id,
      channelId: segment.channelId,
      deviceId: segment.deviceId,
      start: segment.start,
      end: segment.end,
      path: segment.path,
      bytes: segment.bytes,
      videoCodec: segment.videoCodec,
      audioCodec: segment.audioCodec ?? null,
      width: segment.width ?? null,
      height: segment.height ?? null,
      locked: segment.locked === true,
      createdAt: segment.createdAt,
    });
  }
  return [...byId.values()];
}

function checkRecordingSegment(s: RecordingSegment): void {
  const bad = (why: string): never => {
    throw new RangeError(`recording segment ${JSON.stringify(s.id)}: ${why}`);
  };
  for (const field of ['id', 'channelId', 'deviceId', 'path', 'videoCodec'] as const) {
    if (typeof s[field] !== 'string' || s[field] === '') bad(`${field} must be a non-empty string`);
  }
  for (const field of ['start', 'end', 'bytes', 'createdAt'] as const) {
    if (!Number.isFinite(s[field])) bad(`${field} must be a finite number`);
  }
  if (s.end <= s.start) bad(`end (${s.end}) must be after start (${s.start})`);
  if (s.end - s.start > MAX_RECORDING_SEGMENT_MS) bad(`longer than ${MAX_RECORDING_SEGMENT_MS} ms`);
  if (s.bytes < 0) bad('bytes must be >= 0');
}
