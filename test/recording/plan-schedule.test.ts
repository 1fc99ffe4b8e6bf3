import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localWeekMinute, minutesOf, planActiveAt, windowProblem } from '../../src/recording/plan-schedule';
import type { RecordingPlan } from '../../src/storage/types';

const ZONE = 'Asia/Shanghai';
/** Monday 2026-11-23 08:30 in Shanghai (UTC+8), i.e. 00:30 UTC. */
const MONDAY_0830 = Date.UTC(2026, 10, 23, 0, 30);

function plan(fields: Partial<RecordingPlan>): RecordingPlan {
  return { channelId: '34020000001310000001', enabled: true, mode: 'schedule', windows: [], retentionDays: null, updatedAt: 0, ...fields };
}

test('local week minute comes from the configured zone, not UTC', () => {
  assert.deepEqual(localWeekMinute(MONDAY_0830, ZONE), { day: 1, minute: 8 * 60 + 30 });
  assert.deepEqual(localWeekMinute(MONDAY_0830, 'UTC'), { day: 1, minute: 30 });
  // 23:30 UTC on Sunday is already Monday 07:30 in Shanghai.
  assert.deepEqual(localWeekMinute(Date.UTC(2026, 10, 22, 23, 30), ZONE), { day: 1, minute: 7 * 60 + 30 });
});

test('a schedule records inside its windows only, start inclusive and end exclusive', () => {
  const p = plan({ windows: [{ day: 1, start: '08:30', end: '18:00' }] });
  assert.equal(planActiveAt(p, MONDAY_0830, ZONE), true);
  assert.equal(planActiveAt(p, MONDAY_0830 - 60_000, ZONE), false);
  assert.equal(planActiveAt(p, MONDAY_0830 + (9 * 60 + 30) * 60_000, ZONE), false, '18:00 is outside');
  assert.equal(planActiveAt(p, MONDAY_0830 + 7 * 86_400_000, ZONE), true, 'next Monday too');
  assert.equal(planActiveAt(p, MONDAY_0830 + 86_400_000, ZONE), false, 'not on Tuesday');
});

test('a window may run to 24:00, and a disabled plan or a continuous one ignores windows', () => {
  const lateMonday = MONDAY_0830 + (15 * 60 + 29) * 60_000; // 23:59
  assert.equal(planActiveAt(plan({ windows: [{ day: 1, start: '20:00', end: '24:00' }] }), lateMonday, ZONE), true);
  assert.equal(planActiveAt(plan({ enabled: false, mode: 'continuous' }), MONDAY_0830, ZONE), false);
  assert.equal(planActiveAt(plan({ mode: 'continuous' }), MONDAY_0830, ZONE), true);
});

test('bad windows are named: day out of range, bad time, start not before end', () => {
  assert.equal(windowProblem({ day: 1, start: '08:00', end: '18:00' }), null);
  assert.match(windowProblem({ day: 7, start: '08:00', end: '18:00' }) ?? '', /day/);
  assert.match(windowProblem({ day: 1, start: '8:00', end: '18:00' }) ?? '', /HH:MM/);
  assert.match(windowProblem({ day: 1, start: '24:00', end: '24:00' }) ?? '', /HH:MM|before/);
  assert.match(windowProblem({ day: 1, start: '18:00', end: '08:00' }) ?? '', /before/);
  assert.equal(minutesOf('24:00'), 1440);
  assert.equal(minutesOf('25:00'), null);
});
