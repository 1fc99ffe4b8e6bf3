import type { RecordingCoverage, RecordingTimeRange } from './types';

/**
 * Turns the segments of one channel into the footage an investigator sees: recorded ranges and
 * the gaps between them within a window. Pure, shared by every index-store adapter so that they
 * agree to the millisecond.
 *
 * The rule: clip each segment to [from, to); two pieces join when the gap between them is at
 * most joinGapMs (overlapping or touching ones always join). That is the union of the pieces
 * each stretched by joinGapMs at its end, so the result does not depend on the order the
 * segments come in. Gaps are the exact complement of the ranges within the window, so a hole at
 * either edge is a gap however short. An empty window (from >= to) has no ranges and no gaps.
 */

/** The part of a segment that coverage needs (adapters read only these fields). */
export interface SegmentSpan {
  start: number;
  end: number;
  bytes: number;
}

/**
 * Segments closer than this are shown as one range: the recorder cuts a file at a key frame and
 * opens the next one a few frames later, and a gap of a second or two is not missing footage.
 */
export const DEFAULT_JOIN_GAP_MS = 2000;

/**
 * Builds a coverage one segment at a time, without keeping the segments: a month of minute files
 * (43,200) is merged as it streams out of the database. Segments in start order (what the stores
 * read) cost O(1) each; others are merged in place with a binary search.
 */
export class CoverageBuilder {
  private readonly ranges: RecordingTimeRange[] = [];
  private segments = 0;
  private bytes = 0;

  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly joinGapMs: number = DEFAULT_JOIN_GAP_MS,
  ) {}

  add(segmentStart: number, segmentEnd: number, bytes: number): void {
    const start = segmentStart > this.from ? segmentStart : this.from;
    const end = segmentEnd < this.to ? segmentEnd : this.to;
    if (end <= start) return;
    this.segments += 1;
    this.bytes += bytes;
    const ranges = this.ranges;
    const last = ranges[ranges.length - 1];
    if (!last || start >= last.start) {
      // Earlier ranges end more than joinGapMs before `last` starts: only `last` can be joined.
      if (last && start - last.end <= this.joinGapMs) {
        if (end > last.end) last.end = end;
      } else {
        ranges.push({ start, end });
      }
      return;
    }
    this.insert(start, end);
  }

  finish(): RecordingCoverage {
    const ranges = this.ranges.map((r) => ({ start: r.start, end: r.end }));
    return { ranges, gaps: complementOf(ranges, this.from, this.to), segments: this.segments, bytes: this.bytes };
  }

  /** Out of order: merge [start, end) with every range within joinGapMs of it. */
  private insert(start: number, end: number): void {
    const ranges = this.ranges;
    const gap = this.joinGapMs;
    // First range that ends no more than `gap` before this piece starts.
    let low = 0;
    let high = ranges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ranges[mid]!.end + gap < start) low = mid + 1;
      else high = mid;
    }
    let last = low;
    let mergedStart = start;
    let mergedEnd = end;
    for (let r = ranges[last]; r && r.start - gap <= mergedEnd; r = ranges[++last]) {
      if (r.start < mergedStart) mergedStart = r.start;
      if (r.end > mergedEnd) mergedEnd = r.end;
    }
    ranges.splice(low, last - low, { start: mergedStart, end: mergedEnd });
  }
}

/** Coverage of [from, to) by the given segments, in any order. */
export function recordingCoverageOf(
  segments: Iterable<SegmentSpan>,
  window: { from: number; to: number },
  joinGapMs: number = DEFAULT_JOIN_GAP_MS,
): RecordingCoverage {
  const builder = new CoverageBuilder(window.from, window.to, joinGapMs);
  for (const s of segments) builder.add(s.start, s.end, s.bytes);
  return builder.finish();
}

/** The parts of [from, to) that no range covers; ranges sorted and disjoint. */
export function complementOf(ranges: readonly RecordingTimeRange[], from: number, to: number): RecordingTimeRange[] {
  const gaps: RecordingTimeRange[] = [];
  let cursor = from;
  for (const range of ranges) {
    if (range.start > cursor) gaps.push({ start: cursor, end: Math.min(range.start, to) });
    if (range.end > cursor) cursor = range.end;
  }
  if (cursor < to) gaps.push({ start: cursor, end: to });
  return gaps;
}
