import type { Exclusion, OnlineTimeResult } from './online-time';

export type GroupBy = 'device' | 'building' | 'community' | 'street' | 'district';

/** Time-weighted figures of a group: its devices' online time over their counted time. */
export interface RateFigures {
  onlineMs: number;
  countedMs: number;
  excludedMs: number;
  /** onlineMs / countedMs; null when nothing was counted (everything excluded). */
  onlineRate: number | null;
  devices: number;
}

export interface RateItem extends RateFigures {
  /** device ID, building ID, "street/community", street, or "district". */
  key: string;
  deviceId?: string;
  role?: string;
  buildingId?: string;
  buildingName?: string | null;
  street?: string;
  community?: string;
  buildings?: number;
}

export interface OnlineRateReport {
  from: number;
  to: number;
  groupBy: GroupBy;
  items: RateItem[];
  district: RateFigures & { buildings: number };
  exclusions: Exclusion[];
}

export function rateOf(onlineMs: number, countedMs: number): number | null {
  return countedMs > 0 ? onlineMs / countedMs : null;
}

function accumulate(into: RateFigures, onlineMs: number, countedMs: number, excludedMs: number, devices: number): void {
  into.onlineMs += onlineMs;
  into.countedMs += countedMs;
  into.excludedMs += excludedMs;
  into.devices += devices;
}

const empty = (): RateFigures => ({ onlineMs: 0, countedMs: 0, excludedMs: 0, onlineRate: null, devices: 0 });

/** Groups per-device figures; every level sums times (never averages rates). */
export function onlineRateReport(result: OnlineTimeResult, groupBy: GroupBy): OnlineRateReport {
  const groups = new Map<string, RateItem>();
  const district = { ...empty(), buildings: 0 };
  const exclusions: Exclusion[] = [];
  for (const b of result.buildings) {
    const { building } = b;
    district.buildings += 1;
    accumulate(district, b.onlineMs, b.countedMs, b.excludedMs, b.devices.length);
    exclusions.push(...b.exclusions);
    if (groupBy === 'device') {
      for (const d of b.devices) {
        groups.set(d.deviceId, {
          key: d.deviceId,
          deviceId: d.deviceId,
          role: d.role,
          buildingId: building.buildingId,
          street: building.street,
          community: building.community,
          onlineMs: d.onlineMs,
          countedMs: d.countedMs,
          excludedMs: d.excludedMs,
          onlineRate: null,
          devices: 1,
        });
      }
      continue;
    }
    if (groupBy === 'district') continue;
    const key = groupBy === 'building' ? building.buildingId : groupBy === 'community' ? `${building.street}/${building.community}` : building.street;
    let item = groups.get(key);
    if (!item) {
      item = { key, ...empty(), buildings: 0 };
      if (groupBy === 'building') Object.assign(item, { buildingId: building.buildingId, buildingName: building.name });
      if (groupBy !== 'street') item.community = building.community;
      item.street = building.street;
      groups.set(key, item);
    }
    item.buildings = (item.buildings ?? 0) + 1;
    accumulate(item, b.onlineMs, b.countedMs, b.excludedMs, b.devices.length);
  }
  const items = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const item of items) item.onlineRate = rateOf(item.onlineMs, item.countedMs);
  district.onlineRate = rateOf(district.onlineMs, district.countedMs);
  if (groupBy === 'district') items.push({ key: 'district', ...district });
  return { from: result.from, to: result.to, groupBy, items, district, exclusions };
}
