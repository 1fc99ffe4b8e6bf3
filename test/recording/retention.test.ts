/**
 * The retention sweeper against a real SQLite index and real files: expiry by the channel's plan
 * or the default, a tiny quota, locks, and segments held by a reader.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { RetentionSweeper } from '../../src/recording/retention';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import type { RecordingSegment } from '../../src/storage/types';

const A = '34020000001310000001';
const B = '34020000001310000002';
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12);
const root = mkdtempSync(join(tmpdir(), 'gbvms-retention-'));
let store: SqliteIndexStore;

after(() => rmSync(root, { recursive: true, force: true }));

/** A 60 s segment of `channel` that ended `daysAgo` days before NOW, with its file on disk. */
async function segment(channel: string, daysAgo: number, bytes = 1000): Promise<RecordingSegment> {
  const end = NOW - daysAgo * DAY;
  const seg: RecordingSegment = {
    id: `${channel}_${end - 60_000}`,
    channelId: channel,
    deviceId: channel,
    start: end - 60_000,
    end,
    path: `${channel}/${new Date(end).toISOString().slice(0, 10)}/${channel}_${end - 60_000}.ts`,
    bytes,
    videoCodec: 'h264',
    audioCodec: null,
    width: 640,
    height: 360,
    locked: false,
    createdAt: end,
  };
  mkdirSync(dirname(join(root, seg.path)), { recursive: true });
  writeFileSync(join(root, seg.path), Buffer.alloc(bytes));
  await store.addRecordingSegments([seg]);
  return seg;
}

function sweeper(options: { maxBytes?: number; defaultRetentionDays?: number } = {}): RetentionSweeper {
  return new RetentionSweeper(store, silentLogger(), {
    footageRoot: root,
    defaultRetentionDays: options.defaultRetentionDays ?? 30,
    maxBytes: options.maxBytes ?? 0,
    minFreeBytes: 0,
    intervalMs: 60_000,
  });
}

describe('retention', () => {
  beforeEach(async () => {
    await store?.close();
    store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
  });

  test('footage older than its retention goes, index row and file; newer footage stays', async () => {
    const old = await segment(A, 31);
    const recent = await segment(A, 29);
    const result = await sweeper().sweep(NOW);
    assert.equal(result.deleted, 1);
    assert.equal(await store.getRecordingSegment(old.id), null);
    assert.equal(existsSync(join(root, old.path)), false);
    assert.notEqual(await store.getRecordingSegment(recent.id), null);
    assert.equal(existsSync(join(root, recent.path)), true);
  });

  test("a channel's plan overrides the default retention, both shorter and longer", async () => {
    await store.putRecordingPlan({ channelId: A, enabled: true, mode: 'continuous', windows: [], retentionDays: 7, updatedAt: NOW });
    await store.putRecordingPlan({ channelId: B, enabled: true, mode: 'continuous', windows: [], retentionDays: 90, updatedAt: NOW });
    const a8 = await segment(A, 8);
    const a6 = await segment(A, 6);
    const b60 = await segment(B, 60);
    const b91 = await segment(B, 91);
    await sweeper().sweep(NOW);
    assert.equal(await store.getRecordingSegment(a8.id), null);
    assert.notEqual(await store.getRecordingSegment(a6.id), null);
    assert.notEqual(await store.getRecordingSegment(b60.id), null, 'kept for its plan even past the default 30 days');
    assert.equal(await store.getRecordingSegment(b91.id), null);
  });

  test('over a tiny quota the oldest unlocked footage goes first, until the quota holds', async () => {
    const segs = [];
    for (let d = 10; d >= 1; d--) segs.push(await segment(d % 2 === 0 ? A : B, d, 1000));
    await store.setRecordingLock({ channelId: A, from: NOW - 10 * DAY - 60_000, to: NOW - 10 * DAY, locked: true });
    const result = await sweeper({ maxBytes: 3500 }).sweep(NOW);
    const totals = await store.recordingTotals();
    assert.ok(totals.bytes <= 3500, `under the quota: ${totals.bytes}`);
    assert.equal(result.deleted, 7);
    assert.notEqual(await store.getRecordingSegment(segs[0]!.id), null, 'the locked oldest one stays');
    for (const seg of segs.slice(1, 8)) assert.equal(existsSync(join(root, seg.path)), false);
  });

  test('segments held by a playback or export are skipped until released', async () => {
    const seg = await segment(A, 40);
    const s = sweeper();
    const release = s.hold([seg.id]);
    const held = await s.sweep(NOW);
    assert.equal(held.deleted, 0);
    assert.equal(held.skippedInUse, 1);
    release();
    assert.equal((await s.sweep(NOW)).deleted, 1);
  });

  test('when everything left is locked the sweep stops instead of looping', async () => {
    const seg = await segment(A, 5, 5000);
    await store.setRecordingLock({ channelId: A, from: seg.start, to: seg.end, locked: true });
    const result = await sweeper({ maxBytes: 100 }).sweep(NOW);
    assert.equal(result.deleted, 0);
    assert.notEqual(await store.getRecordingSegment(seg.id), null);
  });
});
