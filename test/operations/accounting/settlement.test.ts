import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rentOf, settlementReport } from '../../../src/operations/accounting/settlement';
import type { StoredBuilding } from '../../../src/operations/buildings/types';
import { buildingInput, RULES } from './fixtures';

describe('rent of a building set', () => {
  test('at or above the threshold the full price is due', () => {
    assert.deepEqual(rentOf(RULES, 0.93, 1), { baseFen: 35000, deductionFen: 0, dueFen: 35000, pointsBelow: 0 });
    assert.equal(rentOf(RULES, 1, 1).dueFen, 35000);
  });

  test('below it, each percentage point costs 5% of the price, fractions of a point pro rata', () => {
    // 91.5%: 1.5 points × 5% = 7.5% of 350 = 26.25 yuan.
    const r = rentOf(RULES, 0.915, 1);
    assert.equal(r.deductionFen, 2625);
    assert.equal(r.dueFen, 32375);
    assert.ok(Math.abs(r.pointsBelow - 1.5) < 1e-9);
  });

  test('the rent never goes below the floor nor below zero', () => {
    assert.equal(rentOf(RULES, 0, 1).dueFen, 0);
    assert.equal(rentOf({ ...RULES, floor: 100 }, 0, 1).dueFen, 10000);
    assert.equal(rentOf({ ...RULES, floor: 500 }, 0, 1).dueFen, 35000, 'a floor above the price pays the price');
  });

  test('a deduction in yuan per point, and a building removed for part of the month, are prorated', () => {
    const yuan = { ...RULES, deductionUnit: 'yuan' as const, deductionPerPoint: 10 };
    // 2 points × 10 yuan = 20 yuan.
    assert.equal(rentOf(yuan, 0.91, 1).dueFen, 33000);
    // Half a month in service: base 175, 2 points × 10 × 0.5 = 10.
    assert.deepEqual(rentOf(yuan, 0.91, 0.5), { baseFen: 17500, deductionFen: 1000, dueFen: 16500, pointsBelow: rentOf(yuan, 0.91, 0.5).pointsBelow });
    assert.equal(rentOf(RULES, 0.5, 0).dueFen, 0);
  });

  test('a building without a rate (all excluded) is owed its base', () => {
    assert.equal(rentOf(RULES, null, 1).dueFen, 35000);
  });

  test('a building without devices is owed nothing; one excluded all month is owed its base', () => {
    const building = (n: number, devices: number): StoredBuilding => {
      const input = buildingInput(n);
      return { ...input, devices: input.devices.slice(0, devices), stateSince: 0, stateHistory: [{ state: 'active', since: 0 }], createdAt: 0, updatedAt: 0 };
    };
    const report = settlementReport(
      {
        from: 0,
        to: 1000,
        buildings: [
          { building: building(1, 0), devices: [], onlineMs: 0, countedMs: 0, excludedMs: 0, serviceShare: 1, exclusions: [] },
          {
            building: building(2, 1),
            devices: [{ deviceId: 'd', role: 'door', buildingId: 'B00002', onlineMs: 0, countedMs: 0, excludedMs: 1000, initialState: null, events: 0 }],
            onlineMs: 0,
            countedMs: 0,
            excludedMs: 1000,
            serviceShare: 1,
            exclusions: [],
          },
        ],
      },
      RULES,
      '2026-10',
      'Asia/Shanghai',
    );
    assert.deepEqual(
      report.lines.map((l) => [l.onlineRate, l.thresholdMet, l.rentDue]),
      [
        [null, null, 0],
        [null, null, 350],
      ],
    );
  });
});
