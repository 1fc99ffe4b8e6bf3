import type { Exclusion, OnlineTimeResult } from './online-time';
import { rateOf } from './online-rate-report';

/** The contract's terms (config operations.settlement). */
export interface SettlementRules {
  pricePerSet: number;
  threshold: number;
  deductionPerPoint: number;
  deductionUnit: 'percent' | 'yuan';
  floor: number;
}

export interface SettlementLine {
  buildingId: string;
  name: string | null;
  street: string;
  community: string;
  state: string;
  devices: number;
  onlineMs: number;
  countedMs: number;
  excludedMs: number;
  /** Time-weighted online rate of the building's devices; null when nothing was counted. */
  onlineRate: number | null;
  /** Null when there was no rate to judge (everything excluded). */
  thresholdMet: boolean | null;
  /** Share of the month the building was not removed (prorates the rent). */
  serviceShare: number;
  /** Percentage points below the threshold (0 when met). */
  pointsBelow: number;
  /** Yuan, to the fen. */
  baseRent: number;
  deduction: number;
  rentDue: number;
  exclusions: Exclusion[];
}

export interface SettlementReport {
  month: string;
  timezone: string;
  from: number;
  /** The month's end, or the present for a month still running. */
  to: number;
  /** False while the month runs: the figures so far, provisional. */
  complete: boolean;
  rules: SettlementRules;
  lines: SettlementLine[];
  totals: {
    buildings: number;
    /** Buildings with counted time (not removed or in maintenance all month). */
    buildingsRated: number;
    buildingsBelowThreshold: number;
    devices: number;
    onlineRate: number | null;
    baseRent: number;
    deduction: number;
    rentDue: number;
  };
}

/**
 * The rent of one building set for one month, in fen (integers, so totals add up exactly):
 *
 *   base      = price × serviceShare                         (removed part of the month unpaid)
 *   points    = max(0, threshold − rate) × 100               (exact, fractions of a point count)
 *   deduction = base × points × perPoint / 100               (deductionUnit 'percent')
 *             = points × perPoint × serviceShare             (deductionUnit 'yuan')
 *   due       = min(base, max(floor × serviceShare, base − deduction))
 *
 * A building without a rate (every device excluded all month) is owed its base: maintenance is
 * excused downtime; one without devices is owed nothing. Each amount is rounded to the fen once.
 */
export function rentOf(rules: SettlementRules, rate: number | null, serviceShare: number): { baseFen: number; deductionFen: number; dueFen: number; pointsBelow: number } {
  const baseFen = Math.round(rules.pricePerSet * 100 * serviceShare);
  const pointsBelow = rate === null || rate >= rules.threshold ? 0 : (rules.threshold - rate) * 100;
  const rawDeductionFen =
    rules.deductionUnit === 'percent' ? (baseFen * pointsBelow * rules.deductionPerPoint) / 100 : pointsBelow * rules.deductionPerPoint * 100 * serviceShare;
  const floorFen = Math.round(rules.floor * 100 * serviceShare);
  const dueFen = Math.min(baseFen, Math.max(floorFen, baseFen - Math.round(rawDeductionFen)));
  return { baseFen, deductionFen: baseFen - dueFen, dueFen, pointsBelow };
}

export function settlementReport(result: OnlineTimeResult, rules: SettlementRules, month: string, timezone: string, complete = true): SettlementReport {
  const lines: SettlementLine[] = [];
  let baseFen = 0;
  let dueFen = 0;
  let onlineMs = 0;
  let countedMs = 0;
  let devices = 0;
  let rated = 0;
  let below = 0;
  for (const b of result.buildings) {
    const rate = rateOf(b.onlineMs, b.countedMs);
    // A building without devices has no set installed: nothing is due for it.
    const rent = rentOf(rules, rate, b.devices.length === 0 ? 0 : b.serviceShare);
    const met = rate === null ? null : rate >= rules.threshold;
    lines.push({
      buildingId: b.building.buildingId,
      name: b.building.name,
      street: b.building.street,
      community: b.building.community,
      state: b.building.state,
      devices: b.devices.length,
      onlineMs: b.onlineMs,
      countedMs: b.countedMs,
      excludedMs: b.excludedMs,
      onlineRate: rate,
      thresholdMet: met,
      serviceShare: b.serviceShare,
      pointsBelow: rent.pointsBelow,
      baseRent: rent.baseFen / 100,
      deduction: rent.deductionFen / 100,
      rentDue: rent.dueFen / 100,
      exclusions: b.exclusions,
    });
    baseFen += rent.baseFen;
    dueFen += rent.dueFen;
    onlineMs += b.onlineMs;
    countedMs += b.countedMs;
    devices += b.devices.length;
    if (rate !== null) rated += 1;
    if (met === false) below += 1;
  }
  return {
    month,
    timezone,
    from: result.from,
    to: result.to,
    complete,
    rules,
    lines,
    totals: {
      buildings: lines.length,
      buildingsRated: rated,
      buildingsBelowThreshold: below,
      devices,
      onlineRate: rateOf(onlineMs, countedMs),
      baseRent: baseFen / 100,
      deduction: (baseFen - dueFen) / 100,
      rentDue: dueFen / 100,
    },
  };
}
