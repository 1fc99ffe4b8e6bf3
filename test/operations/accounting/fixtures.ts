import { silentLogger } from '../../../src/logger';
import { SqliteAccountingEvents } from '../../../src/operations/accounting/sqlite-events';
import { AccountingService } from '../../../src/operations/accounting/accounting-service';
import type { SettlementRules } from '../../../src/operations/accounting/settlement';
import { SqliteBuildingStore } from '../../../src/operations/buildings/sqlite-store';
import type { BuildingInput, BuildingStateChange } from '../../../src/operations/buildings/types';
import { SqliteMaintenanceStore } from '../../../src/operations/maintenance/sqlite-store';
import type { MaintenanceWindow } from '../../../src/operations/maintenance/types';
import { SqliteIndexStore } from '../../../src/storage/sqlite/index-store';
import type { DeviceEvent } from '../../../src/storage/types';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const RULES: SettlementRules = { pricePerSet: 350, threshold: 0.93, deductionPerPoint: 5, deductionUnit: 'percent', floor: 0 };

export interface District {
  index: SqliteIndexStore;
  buildings: SqliteBuildingStore;
  maintenance: SqliteMaintenanceStore;
  events: SqliteAccountingEvents;
  accounting: AccountingService;
  close(): Promise<void>;
}

/** An in-memory index with the operations tables and the real SQLite adapters. */
export async function openDistrict(rules: SettlementRules = RULES, path = ':memory:'): Promise<District> {
  const index = new SqliteIndexStore({ path, logger: silentLogger() });
  await index.init();
  const db = index.database();
  const buildings = new SqliteBuildingStore(db);
  const maintenance = new SqliteMaintenanceStore(db);
  const events = new SqliteAccountingEvents(db, async () => {
    await index.listDeviceEvents({ from: 0, to: 0, limit: 1 });
  });
  const accounting = new AccountingService(buildings, maintenance, events, { timezone: 'Asia/Shanghai', rules });
  return { index, buildings, maintenance, events, accounting, close: () => index.close() };
}

/** A 20-digit device ID: building number and device slot (0 door host, 1-2 cameras). */
export function deviceIdOf(building: number, slot: number): string {
  const type = slot === 0 ? '142' : '132';
  return `4403040000${type}${String(building * 10 + slot).padStart(7, '0')}`;
}

export function buildingInput(n: number, extra: Partial<BuildingInput> = {}): BuildingInput {
  return {
    buildingId: `B${String(n).padStart(5, '0')}`,
    name: `${n}号楼`,
    address: `深圳市福田区莲花路${n}号`,
    street: `街道${n % 7}`,
    community: `社区${n % 31}`,
    civilCode: '440304',
    longitude: 114.05,
    latitude: 22.54,
    state: 'active',
    line: `L${n % 50}`,
    devices: [
      { deviceId: deviceIdOf(n, 0), role: 'door' },
      { deviceId: deviceIdOf(n, 1), role: 'camera' },
      { deviceId: deviceIdOf(n, 2), role: 'camera' },
    ],
    ...extra,
  };
}

export function event(deviceId: string, type: 'online' | 'offline', time: number, reason: DeviceEvent['reason'] = type === 'online' ? 'register' : 'keepalive-timeout'): DeviceEvent {
  return { deviceId, type, reason, time };
}

/**
 * The independent answer: walks the period minute by minute and, for each minute, finds the
 * device's state by scanning every event (the latest at or before the minute, later-stored wins
 * at equal times), and whether the minute is excluded (a window of the device or building, or
 * the building's history saying removed). Exact when every event, window and state change falls
 * on a whole minute.
 */
export function simulateMinutes(options: {
  from: number;
  to: number;
  /** In the order they were stored. */
  events: readonly DeviceEvent[];
  deviceId: string;
  buildingId: string;
  windows: readonly Pick<MaintenanceWindow, 'scope' | 'targetId' | 'from' | 'to'>[];
  history: readonly BuildingStateChange[];
}): { onlineMs: number; countedMs: number } {
  const own = options.events.filter((e) => e.deviceId === options.deviceId);
  const windows = options.windows.filter((w) => w.targetId === options.deviceId || w.targetId === options.buildingId);
  let online = 0;
  let counted = 0;
  for (let t = options.from; t < options.to; t += MINUTE) {
    const excluded =
      windows.some((w) => w.from <= t && t < w.to) ||
      stateAt(options.history, t) === 'removed';
    if (excluded) continue;
    counted += 1;
    let latest: DeviceEvent | null = null;
    for (const e of own) if (e.time <= t && (latest === null || e.time >= latest.time)) latest = e;
    if (latest?.type === 'online') online += 1;
  }
  return { onlineMs: online * MINUTE, countedMs: counted * MINUTE };
}

function stateAt(history: readonly BuildingStateChange[], t: number): string {
  let state = 'active';
  for (const h of history) if (h.since <= t) state = h.state;
  return state;
}
