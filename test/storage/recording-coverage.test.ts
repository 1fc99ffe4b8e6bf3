/** The pure coverage merge that every index-store adapter uses; the stores' contract tests cover it end to end. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { complementOf, CoverageBuilder, recordingCoverageOf, type SegmentSpan } from '../../src/storage/recording-coverage';
import type { RecordingCoverage } from '../../src/storage/types';

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rule written the obvious way: clip, sort by start, sweep. */
function reference(segments: readonly SegmentSpan[], from: number, to: number, gap: number): RecordingCoverage {
  if (from >= to) return { ranges: [], gaps: [], segments: 0, bytes: 0 };
  const pieces = segments
    .map((s) => ({ start: Math.max(s.start, from), end: Math.min(s.end, to), bytes: s.bytes }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start);
  const ranges: { start: number; end: number }[] = [];
  for (const p of pieces) {
    const last = ranges.at(-1);
    if (last && p.start - last.end <= gap) last.end = Math.max(last.end, p.end);
    else ranges.push({ start: p.start, end: p.end });
  }
  const gaps: { start: number; end: number }[] = [];
  let cursor = from;
  for (const r of ranges) {
    if (r.start > cursor) gaps.push({ start: cursor, end: r.start });
    cursor = r.end;
  }
  if (cursor < to) gaps.push({ start: cursor, end: to });
  return { ranges, gaps, segments: pieces.length, bytes: pieces.reduce((n, p) => n + p.bytes, 0) };
}

void describe('recording coverage', () => {
  void test('minute files with 40 ms cuts read as one range; a 3 s hole is a gap', () => {
    const minute = (i: number, shift = 0): SegmentSpan => ({ start: i * 60_000 + shift, end: (i + 1) * 60_000 - 40 + shift, bytes: 10 });
    const segments = [minute(0), minute(1), minute(2, 3000), minute(3, 3000)];
    assert.deepEqual(recordingCoverageOf(segments, { from: 0, to: 300_000 }), {
      ranges: [{ start: 0, end: 119_960 }, { start: 123_000, end: 242_960 }],
      gaps: [{ start: 119_960, end: 123_000 }, { start: 242_960, end: 300_000 }],
      segments: 4,
      bytes: 40,
    });
    assert.equal(recordingCoverageOf(segments, { from: 0, to: 300_000 }, 0).ranges.length, 4, 'joinGapMs 0 joins only touching files');
  });

  void test('an empty window has neither ranges nor gaps; segments outside the window do not count', () => {
    const segments = [{ start: 0, end: 100, bytes: 1 }];
    assert.deepEqual(recordingCoverageOf(segments, { from: 50, to: 50 }), { ranges: [], gaps: [], segments: 0, bytes: 0 });
    assert.deepEqual(recordingCoverageOf(segments, { from: 100, to: 200 }), { ranges: [], gaps: [{ start: 100, end: 200 }], segments: 0, bytes: 0 });
  });

  void test('a late segment that bridges two ranges merges them', () => {
    const builder = new CoverageBuilder(0, 1000, 10);
    builder.add(0, 100, 1);
    builder.add(500, 600, 1);
    builder.add(900, 950, 1);
    builder.add(105, 495, 1); // arrives last, joins the first two within 10 ms on both sides
    assert.deepEqual(builder.finish().ranges, [{ start: 0, end: 600 }, { start: 900, end: 950 }]);
  });

  void test('complementOf fills the window around the ranges', () => {
    assert.deepEqual(complementOf([], 5, 10), [{ start: 5, end: 10 }]);
    assert.deepEqual(complementOf([{ start: 5, end: 10 }], 5, 10), []);
    assert.deepEqual(complementOf([{ start: 6, end: 7 }, { start: 8, end: 9 }], 5, 10), [
      { start: 5, end: 6 },
      { start: 7, end: 8 },
      { start: 9, end: 10 },
    ]);
  });

  void test('3,000 random sets of segments, in random order, match the sort-and-sweep rule', () => {
    const random = prng(0x28181);
    const int = (n: number) => Math.floor(random() * n);
    for (let round = 0; round < 3000; round++) {
      const segments: SegmentSpan[] = Array.from({ length: int(25) }, () => {
        const start = int(1000) - 100;
        return { start, end: start + 1 + int(random() < 0.2 ? 400 : 60), bytes: int(1000) };
      });
      const from = int(600) - 50;
      const to = from + int(700) - 20;
      const gap = random() < 0.3 ? 0 : int(40);
      const expected = reference(segments, from, to, gap);
      const shuffled = [...segments].sort(() => random() - 0.5);
      assert.deepEqual(recordingCoverageOf(shuffled, { from, to }, gap), expected, `round ${round}`);
      const sorted = [...segments].sort((a, b) => a.start - b.start);
      assert.deepEqual(recordingCoverageOf(sorted, { from, to }, gap), expected, `round ${round}, sorted`);
    }
  });
});
