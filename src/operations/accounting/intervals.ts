/**
 * Half-open time intervals [start, end) in ms, kept as flat arrays [s0, e0, s1, e1, ...] sorted
 * by start: a month of a device's outages is a handful of numbers, and 30,000 devices' worth is
 * read and summed without allocating an object per interval.
 */
export type Intervals = number[];

/** Sorts, clips to [from, to) and merges overlapping or touching intervals. */
export function normalize(pairs: ReadonlyArray<readonly [number, number]>, from: number, to: number): Intervals {
  const clipped = pairs
    .map(([s, e]) => [Math.max(s, from), Math.min(e, to)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const out: Intervals = [];
  for (const [s, e] of clipped) {
    const last = out.length - 1;
    if (last > 0 && s <= (out[last] as number)) out[last] = Math.max(out[last] as number, e);
    else out.push(s, e);
  }
  return out;
}

export function totalLength(intervals: Intervals): number {
  let sum = 0;
  for (let i = 0; i < intervals.length; i += 2) sum += (intervals[i + 1] as number) - (intervals[i] as number);
  return sum;
}

/** Length of the overlap of two normalized interval lists (a two-pointer walk). */
export function overlapLength(a: Intervals, b: Intervals): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i] as number, b[j] as number);
    const end = Math.min(a[i + 1] as number, b[j + 1] as number);
    if (end > start) sum += end - start;
    if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
    else j += 2;
  }
  return sum;
}
