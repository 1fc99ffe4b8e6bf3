import { AppError } from '../../errors';
import type { BuildingStore } from '../buildings/types';
import type { MaintenanceStore } from '../maintenance/types';
import type { AccountingEventSource } from './event-source';
import { monthRange } from './month';
import { computeOnlineTime, type OnlineTimeResult } from './online-time';
import { onlineRateReport, type GroupBy, type OnlineRateReport } from './online-rate-report';
import { settlementReport, type SettlementReport, type SettlementRules } from './settlement';

/** Longest period one online-rate report may span. */
export const MAX_REPORT_PERIOD_MS = 400 * 24 * 3_600_000;

/** Online-rate reports and the monthly settlement, over the buildings and their devices' events. */
export class AccountingService {
  constructor(
    private readonly buildings: BuildingStore,
    private readonly maintenance: MaintenanceStore,
    private readonly events: AccountingEventSource,
    readonly options: { timezone: string; rules: SettlementRules; now?: () => number },
  ) {}

  /**
   * Online time over [from, to), with `to` cut at the present: what has not happened yet is not
   * counted (a device online now would otherwise be online until the end of the month).
   */
  async onlineTime(from: number, to: number): Promise<OnlineTimeResult> {
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new AppError('bad_request', 'to must be after from');
    if (to - from > MAX_REPORT_PERIOD_MS) throw new AppError('bad_request', 'the period must not exceed 400 days');
    const until = Math.min(to, (this.options.now ?? Date.now)());
    if (until <= from) throw new AppError('bad_request', 'the period has not begun yet');
    const [buildings, windows, memberships] = await Promise.all([
      this.buildings.allBuildings(),
      this.maintenance.overlapping(from, until),
      this.buildings.membershipsDuring(from, until),
    ]);
    return computeOnlineTime(this.events, buildings, windows, from, until, memberships);
  }

  async onlineRate(from: number, to: number, groupBy: GroupBy): Promise<OnlineRateReport> {
    return onlineRateReport(await this.onlineTime(from, to), groupBy);
  }

  /** The settlement of a calendar month ("2026-10") in the configured time zone. */
  async settlement(month: string): Promise<SettlementReport> {
    const range = monthRange(month, this.options.timezone);
    if (!range) throw new AppError('bad_request', 'month must be YYYY-MM');
    const result = await this.onlineTime(range.from, range.to);
    // A month still running is settled up to now, marked provisional.
    return settlementReport(result, this.options.rules, month, this.options.timezone, result.to === range.to);
  }
}
