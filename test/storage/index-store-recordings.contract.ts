/**
 * The recording-segment part of the IndexStore contract; index-store.contract.ts runs it for every
 * adapter. `open` gives a new, initialized store on empty storage that closes after the test.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { IndexStore } from '../../src/storage/ports';
import { MAX_RECORDING_SEGMENT_MS } from '../../src/storage/recordings';
import type { RecordingSegment } from '../../src/storage/types';

const CAMERA = '34020000001310000001';
const OTHER_CAMERA = '34020000001310000002';
const NVR = '34020000001180000001';
const T0 = Date.UTC(2024, 0, 15, 8, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

/** A segment of CAMERA from T0 + startSec to T0 + endSec. */
function segment(startSec: number, endSec: number, fields: Partial<RecordingSegment> = {}): RecordingSegment {
  const channelId = fields.channelId ?? CAMERA;
  return {
    id: `${channelId}-${T0 + startSec * SEC}`,
    channelId,
    deviceId: NVR,
    start: T0 + startSec * SEC,
    end: T0 + endSec * SEC,
    path: `${channelId}/2024-01-15/080000-${startSec}.ts`,
    bytes: (endSec - startSec) * 250_000,
    videoCodec: 'h264',
    audioCodec: 'aac',
    width: 1920,
    height: 1080,
    locked: false,
    createdAt: T0 + endSec * SEC + 50,
    ...fields,
  };
}

/** Back-to-back 60 s segments of one channel, the first starting at T0 + startSec. */
function minutes(count: number, startSec = 0, channelId = CAMERA): RecordingSegment[] {
  return Array.from({ length: count }, (_, i) => segment(startSec + i * 60, startSec + (i + 1) * 60, { channelId }));
}

const ids = (segments: readonly RecordingSegment[]) => segments.map((s) => s.id);
const at = (sec: number) => T0 + sec * SEC;
const span = (startSec: number, endSec: number) => ({ start: at(startSec), end: at(endSec) });

export function describeRecordingContract(open: (t: TestContext) => Promise<IndexStore>): void {
  void describe('recording segments', () => {
    void test('a segment ending exactly at from, or starting exactly at to, is not in the window', async (t) => {
      const store = await open(t);
      const [first, second, third] = minutes(3);
      await store.addRecordingSegments([first!, second!, third!]);
      await store.addRecordingSegments(minutes(3, 0, OTHER_CAMERA));
      const list = (fromSec: number, toSec: number) =>
        store.listRecordingSegments({ channelId: CAMERA, from: at(fromSec), to: at(toSec) });
      assert.deepEqual(await list(60, 120), [second]);
      assert.deepEqual(ids(await list(59.999, 120.001)), ids([first!, second!, third!]));
      assert.deepEqual(ids(await list(30, 40)), [first!.id], 'a window inside one segment finds it');
      assert.deepEqual(ids(await list(0, 180)), ids([first!, second!, third!]));
      assert.deepEqual(await list(180, 240), []);
      assert.deepEqual(await list(-60, 0), []);
      assert.deepEqual(await store.listRecordingSegments({ channelId: '34020000001310000099', from: at(0), to: at(180) }), []);
    });

    void test('segments are listed by start, then id, however they were added', async (t) => {
      const store = await open(t);
      const all = minutes(6);
      await store.addRecordingSegments([all[4]!, all[1]!]);
      await store.addRecordingSegments([all[5]!, all[0]!, all[3]!]);
      await store.addRecordingSegments([all[2]!]);
      // Two segments starting together (a recorder restarted mid-file): the id decides.
      const twinB = segment(0, 30, { id: 'twin-b' });
      const twinA = segment(0, 45, { id: 'twin-a' });
      await store.addRecordingSegments([twinB, twinA]);
      const listed = await store.listRecordingSegments({ channelId: CAMERA, from: at(0), to: at(360) });
      // Digits sort before letters: the minute file's id comes first of the three starting at T0.
      assert.deepEqual(ids(listed), [all[0]!.id, 'twin-a', 'twin-b', ...ids(all.slice(1))]);
    });

    void test('every field round-trips, nullable ones as null; an unknown id is null', async (t) => {
      const store = await open(t);
      const full = segment(0, 61.5, { audioCodec: 'g711a', width: 2560, height: 1440, videoCodec: 'h265', bytes: 123_456_789 });
      const bare = segment(70, 130, { audioCodec: null, width: null, height: null, path: 'x/2024-01-15/中文 目录.ts' });
      await store.addRecordingSegments([full, bare]);
      assert.deepEqual(await store.getRecordingSegment(full.id), full);
      assert.deepEqual(await store.getRecordingSegment(bare.id), bare);
      assert.equal(await store.getRecordingSegment('no-such-segment'), null);
    });

    void test('re-adding a segment replaces it; within one call the last copy wins', async (t) => {
      const store = await open(t);
      const original = segment(0, 60);
      await store.addRecordingSegments([original, segment(60, 120)]);
      const rewritten = { ...original, end: at(59), bytes: 42, path: 'moved/file.ts', audioCodec: null };
      await store.addRecordingSegments([rewritten]);
      assert.deepEqual(await store.getRecordingSegment(original.id), rewritten);
      assert.deepEqual(await store.recordingTotals(CAMERA), { segments: 2, bytes: 42 + 60 * 250_000 });
      await store.addRecordingSegments([{ ...original, bytes: 1 }, { ...original, bytes: 2 }]);
      assert.equal((await store.getRecordingSegment(original.id))!.bytes, 2);
      await store.addRecordingSegments([]);
      assert.equal((await store.recordingTotals(CAMERA)).segments, 2);
      // Re-added under another channel (a recorder fixing its index): it moves, totals follow.
      await store.addRecordingSegments([{ ...original, channelId: OTHER_CAMERA, bytes: 5 }]);
      assert.deepEqual(await store.recordingTotals(CAMERA), { segments: 1, bytes: 60 * 250_000 });
      assert.deepEqual(await store.recordingTotals(OTHER_CAMERA), { segments: 1, bytes: 5 });
      assert.deepEqual(ids(await store.listRecordingSegments({ channelId: OTHER_CAMERA, from: at(0), to: at(60) })), [original.id]);
      assert.deepEqual(await store.listRecordingSegments({ channelId: CAMERA, from: at(0), to: at(60) }), []);
    });

    void test('re-adding a locked segment as unlocked keeps the lock; adding it locked locks it', async (t) => {
      const store = await open(t);
      const s = segment(0, 60);
      await store.addRecordingSegments([s]);
      await store.addRecordingSegments([{ ...s, locked: true }]);
      assert.equal((await store.getRecordingSegment(s.id))!.locked, true);
      await store.addRecordingSegments([{ ...s, bytes: 7 }]);
      const stored = await store.getRecordingSegment(s.id);
      assert.deepEqual([stored!.locked, stored!.bytes], [true, 7]);
    });

    void test('a segment that began long before the window is still found (the scan bound follows the longest segment)', async (t) => {
      const store = await open(t);
      await store.addRecordingSegments(minutes(120, 0));
      // An hour-long file on one channel, minute files on the other.
      const long = segment(0, 3600, { channelId: OTHER_CAMERA });
      await store.addRecordingSegments([long, ...minutes(30, 3600, OTHER_CAMERA)]);
      const inLong = await store.listRecordingSegments({ channelId: OTHER_CAMERA, from: at(3599), to: at(3661) });
      assert.deepEqual(ids(inLong), [long.id, `${OTHER_CAMERA}-${at(3600)}`, `${OTHER_CAMERA}-${at(3660)}`]);
      const coverage = await store.recordingCoverage({ channelId: OTHER_CAMERA, from: at(1800), to: at(1900) });
      assert.deepEqual(coverage, { ranges: [span(1800, 1900)], gaps: [], segments: 1, bytes: long.bytes });
      const short = await store.listRecordingSegments({ channelId: CAMERA, from: at(3599), to: at(3601) });
      assert.deepEqual(ids(short), [`${CAMERA}-${at(3540)}`, `${CAMERA}-${at(3600)}`]);
    });

    void test('coverage merges segments, joins gaps up to joinGapMs, clips to the window and lists the gaps', async (t) => {
      const store = await open(t);
      await store.addRecordingSegments([
        segment(0, 60),
        segment(61, 120), // 1 s gap: joined by default
        segment(100, 150), // overlaps the previous one
        segment(153, 200), // 3 s gap: a gap by default
        segment(200, 260), // touching
        segment(400, 460),
      ]);
      await store.addRecordingSegments(minutes(10, 0, OTHER_CAMERA));
      const window = { channelId: CAMERA, from: at(30), to: at(500) };
      const bytesOf = (...pairs: [number, number][]) => pairs.reduce((n, [a, b]) => n + (b - a) * 250_000, 0);

      assert.deepEqual(await store.recordingCoverage(window), {
        ranges: [span(30, 150), span(153, 260), span(400, 460)],
        gaps: [span(150, 153), span(260, 400), span(460, 500)],
        segments: 6,
        bytes: bytesOf([0, 60], [61, 120], [100, 150], [153, 200], [200, 260], [400, 460]),
      });
      const strict = await store.recordingCoverage({ ...window, joinGapMs: 0 });
      assert.deepEqual(strict.ranges, [span(30, 60), span(61, 150), span(153, 260), span(400, 460)]);
      assert.deepEqual(strict.gaps, [span(60, 61), span(150, 153), span(260, 400), span(460, 500)]);
      const exactly3s = await store.recordingCoverage({ ...window, joinGapMs: 3000 });
      assert.deepEqual(exactly3s.ranges, [span(30, 260), span(400, 460)], 'a gap equal to joinGapMs is joined');
      const loose = await store.recordingCoverage({ ...window, joinGapMs: 10 * MIN });
      assert.deepEqual(loose.ranges, [span(30, 460)]);
      assert.deepEqual(loose.gaps, [span(460, 500)]);

      const inside = await store.recordingCoverage({ channelId: CAMERA, from: at(10), to: at(20) });
      assert.deepEqual(inside, { ranges: [span(10, 20)], gaps: [], segments: 1, bytes: bytesOf([0, 60]) });
      const hole = await store.recordingCoverage({ channelId: CAMERA, from: at(300), to: at(350) });
      assert.deepEqual(hole, { ranges: [], gaps: [span(300, 350)], segments: 0, bytes: 0 });
      const edge = await store.recordingCoverage({ channelId: CAMERA, from: at(-1), to: at(60) });
      assert.deepEqual(edge.gaps, [span(-1, 0)], 'a hole at the window edge is a gap however short');
      const unknown = await store.recordingCoverage({ channelId: '34020000001310000099', from: at(0), to: at(60) });
      assert.deepEqual(unknown, { ranges: [], gaps: [span(0, 60)], segments: 0, bytes: 0 });
    });

    void test('coverage of a day of minute files is one range and ignores limit', async (t) => {
      const store = await open(t);
      await store.addRecordingSegments(minutes(24 * 60));
      const day = await store.recordingCoverage({ channelId: CAMERA, from: at(-3600), to: at(86_400 + 3600), limit: 5 });
      assert.deepEqual(day.ranges, [span(0, 86_400)]);
      assert.deepEqual(day.gaps, [span(-3600, 0), span(86_400, 90_000)]);
      assert.equal(day.segments, 1440);
      assert.equal(day.bytes, 1440 * 60 * 250_000);
    });

    void test('limit returns the earliest segments; 0 or less returns none', async (t) => {
      const store = await open(t);
      const all = minutes(10);
      await store.addRecordingSegments(all);
      const q = { channelId: CAMERA, from: at(90), to: at(600) };
      assert.deepEqual(ids(await store.listRecordingSegments({ ...q, limit: 3 })), ids(all.slice(1, 4)));
      assert.deepEqual(ids(await store.listRecordingSegments({ ...q, limit: 2.9 })), ids(all.slice(1, 3)));
      assert.equal((await store.listRecordingSegments(q)).length, 9);
      assert.equal((await store.listRecordingSegments({ ...q, limit: 100 })).length, 9);
      assert.deepEqual(await store.listRecordingSegments({ ...q, limit: 0 }), []);
      assert.deepEqual(await store.listRecordingSegments({ ...q, limit: -1 }), []);
    });

    void test('locked segments survive deletion and are not offered for retention until unlocked', async (t) => {
      const store = await open(t);
      const all = minutes(6);
      await store.addRecordingSegments(all);
      // Evidence from 00:01:30 to 00:02:00: locks the second segment only; 00:02:00 is its end.
      assert.equal(await store.setRecordingLock({ channelId: CAMERA, from: at(90), to: at(120), locked: true }), 1);
      assert.equal(await store.setRecordingLock({ channelId: CAMERA, from: at(90), to: at(121), locked: true }), 2, 'already locked ones count too');
      assert.deepEqual(
        (await store.listRecordingSegments({ channelId: CAMERA, from: at(0), to: at(360) })).map((s) => s.locked),
        [false, true, true, false, false, false],
      );
      const oldest = await store.oldestRecordingSegments({ limit: 10 });
      assert.deepEqual(ids(oldest), ids([all[0]!, all[3]!, all[4]!, all[5]!]));

      assert.equal(await store.deleteRecordingSegments(ids(all.slice(0, 4))), 2, 'the two locked ones are skipped');
      assert.deepEqual(
        ids(await store.listRecordingSegments({ channelId: CAMERA, from: at(0), to: at(360) })),
        ids([all[1]!, all[2]!, all[4]!, all[5]!]),
      );
      assert.equal(await store.deleteRecordingSegments(['no-such-segment', all[0]!.id]), 0, 'unknown or gone ids are ignored');
      assert.equal(await store.deleteRecordingSegments([]), 0);

      assert.equal(await store.setRecordingLock({ channelId: CAMERA, from: at(0), to: at(150), locked: false }), 2);
      assert.deepEqual(ids(await store.oldestRecordingSegments({ limit: 2 })), ids(all.slice(1, 3)));
      assert.equal(await store.deleteRecordingSegments(ids(all)), 4);
      assert.deepEqual(await store.recordingTotals(), { segments: 0, bytes: 0 });
      assert.equal(await store.setRecordingLock({ channelId: OTHER_CAMERA, from: at(0), to: at(360), locked: true }), 0);
    });

    void test('oldestRecordingSegments goes by end, per channel, and only before endBefore when given', async (t) => {
      const store = await open(t);
      const camera = minutes(5);
      const other = minutes(5, 30, OTHER_CAMERA);
      await store.addRecordingSegments([...other, ...camera]);
      const long = segment(-600, 200, { id: 'long-one' }); // starts first, ends late
      await store.addRecordingSegments([long]);
      assert.deepEqual(ids(await store.oldestRecordingSegments({ limit: 4 })), [camera[0]!.id, other[0]!.id, camera[1]!.id, other[1]!.id]);
      assert.deepEqual(ids(await store.oldestRecordingSegments({ limit: 10, channelId: CAMERA })), [
        ...ids(camera.slice(0, 3)),
        'long-one',
        ...ids(camera.slice(3)),
      ]);
      assert.deepEqual(ids(await store.oldestRecordingSegments({ limit: 10, endBefore: at(120) })), ids([camera[0]!, other[0]!, camera[1]!]), 'an end equal to endBefore counts');
      assert.deepEqual(ids(await store.oldestRecordingSegments({ limit: 10, channelId: OTHER_CAMERA, endBefore: at(150) })), ids(other.slice(0, 2)));
      assert.deepEqual(await store.oldestRecordingSegments({ limit: 0 }), []);
      assert.deepEqual(await store.oldestRecordingSegments({ limit: 10, channelId: '34020000001310000099' }), []);
    });

    void test('totals count segments and bytes per channel and overall', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.recordingTotals(), { segments: 0, bytes: 0 });
      await store.addRecordingSegments([...minutes(3), ...minutes(2, 0, OTHER_CAMERA)]);
      assert.deepEqual(await store.recordingTotals(CAMERA), { segments: 3, bytes: 3 * 60 * 250_000 });
      assert.deepEqual(await store.recordingTotals(OTHER_CAMERA), { segments: 2, bytes: 2 * 60 * 250_000 });
      assert.deepEqual(await store.recordingTotals(), { segments: 5, bytes: 5 * 60 * 250_000 });
      assert.deepEqual(await store.recordingTotals('34020000001310000099'), { segments: 0, bytes: 0 });
    });

    void test('a window with from after to is a RangeError; an empty window (from = to) finds nothing', async (t) => {
      const store = await open(t);
      await store.addRecordingSegments(minutes(3));
      const swapped = { channelId: CAMERA, from: at(120), to: at(60) };
      await assert.rejects(store.listRecordingSegments(swapped), RangeError);
      await assert.rejects(store.recordingCoverage(swapped), RangeError);
      await assert.rejects(store.setRecordingLock({ ...swapped, locked: true }), RangeError);
      await assert.rejects(store.listRecordingSegments({ channelId: CAMERA, from: Number.NaN, to: at(60) }), RangeError);
      await assert.rejects(store.recordingCoverage({ channelId: CAMERA, from: at(0), to: Infinity }), RangeError);
      await assert.rejects(store.recordingCoverage({ channelId: CAMERA, from: at(0), to: at(60), joinGapMs: -1 }), RangeError);
      await assert.rejects(store.oldestRecordingSegments({ limit: 1, endBefore: Number.NaN }), RangeError);

      const empty = { channelId: CAMERA, from: at(30), to: at(30) };
      assert.deepEqual(await store.listRecordingSegments(empty), []);
      assert.deepEqual(await store.recordingCoverage(empty), { ranges: [], gaps: [], segments: 0, bytes: 0 });
      assert.equal(await store.setRecordingLock({ ...empty, locked: true }), 0);
      assert.equal((await store.listRecordingSegments({ channelId: CAMERA, from: at(0), to: at(180) })).length, 3, 'nothing was changed');
    });

    void test('a bad segment is a RangeError and nothing of its call is written', async (t) => {
      const store = await open(t);
      const good = segment(0, 60);
      const bad: [string, RecordingSegment][] = [
        ['end before start', segment(60, 30)],
        ['zero length', segment(60, 60)],
        ['longer than the cap', segment(0, MAX_RECORDING_SEGMENT_MS / SEC + 1)],
        ['NaN start', { ...segment(60, 120), start: Number.NaN }],
        ['empty id', segment(60, 120, { id: '' })],
        ['empty channel', segment(60, 120, { channelId: '' })],
        ['negative bytes', segment(60, 120, { bytes: -1 })],
      ];
      for (const [why, segment] of bad) {
        await assert.rejects(store.addRecordingSegments([good, segment]), RangeError, why);
      }
      assert.deepEqual(await store.recordingTotals(), { segments: 0, bytes: 0 });
      assert.equal(await store.getRecordingSegment(good.id), null);
      await store.addRecordingSegments([segment(0, MAX_RECORDING_SEGMENT_MS / SEC)]);
      assert.equal((await store.recordingTotals()).segments, 1, 'a segment exactly at the cap is accepted');
    });
  });
}

/** The recording-plan part of the contract. */
export function describeRecordingPlanContract(open: (t: TestContext) => Promise<IndexStore>): void {
  void describe('recording plans', () => {
    void test('a plan is stored, read back whole, replaced, listed by channel and deleted', async (t) => {
      const store = await open(t);
      assert.equal(await store.getRecordingPlan(CAMERA), null);
      const plan = {
        channelId: CAMERA,
        enabled: true,
        mode: 'schedule' as const,
        windows: [
          { day: 1, start: '08:00', end: '18:00' },
          { day: 6, start: '00:00', end: '24:00' },
        ],
        retentionDays: 90,
        updatedAt: T0,
      };
      await store.putRecordingPlan(plan);
      await store.putRecordingPlan({ channelId: OTHER_CAMERA, enabled: false, mode: 'continuous', windows: [], retentionDays: null, updatedAt: T0 });
      assert.deepEqual(await store.getRecordingPlan(CAMERA), plan);
      const replaced = { ...plan, mode: 'continuous' as const, windows: [], retentionDays: null, updatedAt: T0 + 1 };
      await store.putRecordingPlan(replaced);
      assert.deepEqual(await store.getRecordingPlan(CAMERA), replaced);
      assert.deepEqual(
        (await store.listRecordingPlans()).map((p) => [p.channelId, p.enabled]),
        [
          [CAMERA, true],
          [OTHER_CAMERA, false],
        ],
      );
      assert.equal(await store.deleteRecordingPlan(CAMERA), true);
      assert.equal(await store.deleteRecordingPlan(CAMERA), false);
      assert.equal(await store.getRecordingPlan(CAMERA), null);
    });
  });
}
