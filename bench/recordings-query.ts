/**
 * The recording index on SQLite at a month of footage: 20 channels x 30 days of 60 s segments
 * (864,000 rows, ~0.5% of minutes missing as camera outages), written hour by hour as the
 * recorders would (every channel's segment of each minute, interleaved). Prints the insert rate,
 * then p50/p99 of what investigators and the retention sweeper ask: a month's coverage of one
 * channel (the target is well under 50 ms), one hour's segments, and a few more.
 * Runs on a file database in a temporary folder (WAL, synchronous=NORMAL), as in production.
 *
 * Segment ids are `<channelId>_<start>` (ordered, as src/media/record/layout.ts names them);
 * --uuid uses random UUIDs instead, which slows inserts ~3x at this size (each lands at a random
 * place of the id index, which no longer fits in the page cache).
 *
 * Usage: node --import tsx bench/recordings-query.ts [channels=20] [days=30] [--uuid]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger';
import { SqliteIndexStore } from '../src/storage/sqlite/index-store';
import type { RecordingSegment } from '../src/storage/types';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const channelCount = Number(args[0] ?? 20);
const days = Number(args[1] ?? 30);
const uuidIds = process.argv.includes('--uuid');
const QUERIES = 200;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);

/** Fixed-seed PRNG (mulberry32), so that every run writes and asks the same. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(28181);

const channelId = (i: number) => `3402000000131${String(i).padStart(7, '0')}`;
const deviceId = '34020000001180000001';

function segmentOf(channel: number, start: number): RecordingSegment {
  const id = channelId(channel);
  const day = new Date(start).toISOString().slice(0, 10);
  return {
    id: uuidIds ? randomUUID() : `${id}_${start}`,
    channelId: id,
    deviceId,
    start,
    // The next file opens on the next key frame, a few frames after this one ends.
    end: start + MINUTE - 40,
    path: `${id}/${day}/${new Date(start).toISOString().slice(11, 19).replaceAll(':', '')}.ts`,
    bytes: 15_000_000 + Math.floor(random() * 1_000_000),
    videoCodec: 'h264',
    audioCodec: 'aac',
    width: 1920,
    height: 1080,
    locked: false,
    createdAt: start + MINUTE + 200,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function timed<T>(label: string, count: number, run: (i: number) => Promise<T>, describe?: (result: T) => string): Promise<void> {
  const latencies: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    last = await run(i);
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const detail = describe && last !== undefined ? `  (${describe(last)})` : '';
  console.log(
    `${label.padEnd(52)} ${String(count).padStart(4)} queries  p50 ${percentile(latencies, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(latencies, 99).toFixed(2).padStart(6)} ms${detail}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'gbvms-bench-recordings-'));
const path = join(dir, 'index.db');
const store = new SqliteIndexStore({ path, logger: silentLogger() });
await store.init();
try {
  let rows = 0;
  const begin = performance.now();
  for (let hour = 0; hour < days * 24; hour++) {
    const batch: RecordingSegment[] = [];
    for (let minute = 0; minute < 60; minute++) {
      const start = T0 + hour * HOUR + minute * MINUTE;
      for (let c = 0; c < channelCount; c++) {
        if (random() < 0.005) continue; // the camera was offline that minute
        batch.push(segmentOf(c, start));
      }
    }
    await store.addRecordingSegments(batch);
    rows += batch.length;
  }
  const seconds = (performance.now() - begin) / 1000;
  console.log(
    `addRecordingSegments, an hour of ${channelCount} channels per call (${uuidIds ? 'UUID' : 'ordered'} ids): ` +
      `${rows} rows in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s`,
  );
  let live = 0;
  const liveBegin = performance.now();
  for (let minute = 0; live < 2000; minute++) {
    // As the recorders do it: each channel's segment on its own, every channel in the same turn.
    const start = T0 + days * DAY + minute * MINUTE;
    await Promise.all(Array.from({ length: channelCount }, (_, c) => store.addRecordingSegments([segmentOf(c, start)])));
    live += channelCount;
  }
  const liveSeconds = (performance.now() - liveBegin) / 1000;
  console.log(`addRecordingSegments, one segment per call, ${channelCount} calls per turn: ${Math.round(live / liveSeconds)} segments/s`);
  const wal = (() => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  })();
  console.log(`database file ${(statSync(path).size / 1e6).toFixed(0)} MB (+ WAL ${(wal / 1e6).toFixed(0)} MB)\n`);

  const randomChannel = () => channelId(Math.floor(random() * channelCount));
  const month = { from: T0, to: T0 + days * DAY };
  await timed(`recordingCoverage, ${days} days of one channel`, QUERIES, () => store.recordingCoverage({ channelId: randomChannel(), ...month }), (c) =>
    `${c.segments} segments, ${c.ranges.length} ranges, ${c.gaps.length} gaps`,
  );
  await timed('listRecordingSegments, one hour of one channel', QUERIES, () => {
    const from = T0 + Math.floor(random() * (days * 24 - 1)) * HOUR + Math.floor(random() * HOUR);
    return store.listRecordingSegments({ channelId: randomChannel(), from, to: from + HOUR });
  }, (s) => `${s.length} segments`);
  await timed('recordingCoverage, one day of one channel', QUERIES, () => {
    const from = T0 + Math.floor(random() * (days - 1)) * DAY;
    return store.recordingCoverage({ channelId: randomChannel(), from, to: from + DAY });
  }, (c) => `${c.segments} segments`);
  await timed(`listRecordingSegments, ${days} days of one channel`, 20, () => store.listRecordingSegments({ channelId: randomChannel(), ...month }), (s) =>
    `${s.length} segments`,
  );
  await timed('oldestRecordingSegments, 100 of all channels', QUERIES, () => store.oldestRecordingSegments({ limit: 100 }));
  await timed('oldestRecordingSegments, 100 of one channel', QUERIES, () =>
    store.oldestRecordingSegments({ limit: 100, channelId: randomChannel(), endBefore: T0 + DAY }),
  );
  await timed('setRecordingLock, one hour of one channel', QUERIES, (i) => {
    const from = T0 + Math.floor(random() * (days * 24 - 1)) * HOUR;
    return store.setRecordingLock({ channelId: randomChannel(), from, to: from + HOUR, locked: i % 2 === 0 });
  });
  await timed('recordingTotals of one channel', QUERIES, () => store.recordingTotals(randomChannel()));
  await timed('recordingTotals of all channels', 20, () => store.recordingTotals(), (t) => `${t.segments} segments`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
