import type { BuildingDeviceRole } from '../building-directory';
import type { StoredBuilding } from '../buildings/types';
import type { MaintenanceWindow } from '../maintenance/types';
import type { AccountingEventSource } from './event-source';
import { normalize, overlapLength, totalLength, type Intervals } from './intervals';

/** A period left out of a device's accounting, as the report lists it (clipped to the period). */
export interface Exclusion {
  kind: 'maintenance' | 'building-removed';
  buildingId: string;
  /** The device, for a device's maintenance window; absent when the whole building is out. */
  deviceId?: string;
  windowId?: string;
  reason: string;
  from: number;
  to: number;
}

export interface DeviceFigures {
  deviceId: string;
  role: BuildingDeviceRole;
  buildingId: string;
  /** Time online within the counted time. */
  onlineMs: number;
  /** The period minus exclusions: the denominator. */
  countedMs: number;
  excludedMs: number;
  /** State at the start of the period: from the last event before it; null when the device has none. */
  initialState: 'online' | 'offline' | null;
  /** Events read in the period (duplicates included). */
  events: number;
}

export interface BuildingFigures {
  building: StoredBuilding;
  devices: DeviceFigures[];
  onlineMs: number;
  countedMs: number;
  excludedMs: number;
  /** Share of the period in which the building was not removed (0-1): what its rent is prorated by. */
  serviceShare: number;
  exclusions: Exclusion[];
}

export interface OnlineTimeResult {
  from: number;
  to: number;
  buildings: BuildingFigures[];
}

const NONE: Intervals = [];

/** Per device while scanning: its state and when that state began; online intervals so far. */
interface Tracker {
  online: boolean;
  since: number;
  intervals: Intervals;
  events: number;
}

/**
 * Time online of every device of every building over [from, to), from the stored transitions.
 *
 * - The state at `from` is that of the last event before it; a device with no event before it is
 *   offline until its first event (a device that never came online earned nothing; leave a new
 *   installation out with a maintenance window).
 * - Events are taken in time order (then storage order); an event that repeats the current state
 *   changes nothing, so duplicates and a server-restart 'offline' during an outage count once.
 * - A state lasts until the next event: the time the server was down counts as the state last
 *   recorded, until DevicePresence writes 'server-restart' at the next start.
 * - Maintenance windows (of the device or its building) and periods in which the building was
 *   removed are left out of both online and counted time, and listed as exclusions.
 */
export async function computeOnlineTime(
  source: AccountingEventSource,
  buildings: readonly StoredBuilding[],
  windows: readonly MaintenanceWindow[],
  from: number,
  to: number,
): Promise<OnlineTimeResult> {
  const deviceIds: string[] = [];
  for (const b of buildings) for (const d of b.devices) deviceIds.push(d.deviceId);
  const initial = await source.statesBefore(deviceIds, from);
  const trackers = new Map<string, Tracker>();
  for (const id of deviceIds) trackers.set(id, { online: initial.get(id) ?? false, since: from, intervals: [], events: 0 });

  await source.scan(from, to, trackers, (deviceId, time, online) => {
    const t = trackers.get(deviceId);
    if (!t) return;
    t.events += 1;
    if (online === t.online) return;
    if (t.online && time > t.since) t.intervals.push(t.since, time);
    t.online = online;
    t.since = time;
  });

  const windowsByTarget = new Map<string, MaintenanceWindow[]>();
  for (const w of windows) {
    let list = windowsByTarget.get(w.targetId);
    if (!list) windowsByTarget.set(w.targetId, (list = []));
    list.push(w);
  }

  const period = to - from;
  const out: BuildingFigures[] = [];
  for (const building of buildings) {
    const buildingOut = removedPeriods(building, from, to);
    const exclusions: Exclusion[] = buildingOut.map(([s, e]) => ({ kind: 'building-removed', buildingId: building.buildingId, reason: 'building removed', from: s, to: e }));
    for (const w of windowsByTarget.get(building.buildingId) ?? []) {
      if (w.scope !== 'building' || w.to <= from || w.from >= to) continue;
      exclusions.push({ kind: 'maintenance', buildingId: building.buildingId, windowId: w.id, reason: w.reason, from: Math.max(w.from, from), to: Math.min(w.to, to) });
    }
    const buildingExcluded = exclusions.map((e) => [e.from, e.to] as const);
    const devices: DeviceFigures[] = [];
    let onlineMs = 0;
    let countedMs = 0;
    let excludedMs = 0;
    for (const d of building.devices) {
      const t = trackers.get(d.deviceId);
      if (!t) continue;
      // The tracker is done with: its open interval is closed in place.
      const online = t.intervals;
      if (t.online && to > t.since) online.push(t.since, to);
      const own: Array<readonly [number, number]> = [...buildingExcluded];
      for (const w of windowsByTarget.get(d.deviceId) ?? []) {
        if (w.scope !== 'device' || w.to <= from || w.from >= to) continue;
        own.push([w.from, w.to]);
        exclusions.push({ kind: 'maintenance', buildingId: building.buildingId, deviceId: d.deviceId, windowId: w.id, reason: w.reason, from: Math.max(w.from, from), to: Math.min(w.to, to) });
      }
      const excluded: Intervals = own.length === 0 ? NONE : normalize(own, from, to);
      const excludedLength = totalLength(excluded);
      const figures: DeviceFigures = {
        deviceId: d.deviceId,
        role: d.role,
        buildingId: building.buildingId,
        onlineMs: totalLength(online) - (excluded.length === 0 ? 0 : overlapLength(online, excluded)),
        countedMs: period - excludedLength,
        excludedMs: excludedLength,
        initialState: initial.has(d.deviceId) ? (initial.get(d.deviceId) ? 'online' : 'offline') : null,
        events: t.events,
      };
      devices.push(figures);
      onlineMs += figures.onlineMs;
      countedMs += figures.countedMs;
      excludedMs += figures.excludedMs;
    }
    const serviceShare = period <= 0 ? 0 : buildingOut.length === 0 ? 1 : (period - totalLength(normalize(buildingOut, from, to))) / period;
    out.push({ building, devices, onlineMs, countedMs, excludedMs, serviceShare, exclusions });
  }
  return { from, to, buildings: out };
}

/** The parts of [from, to) in which the building's state history says 'removed'. */
export function removedPeriods(building: StoredBuilding, from: number, to: number): Array<[number, number]> {
  const history = building.stateHistory.length > 0 ? building.stateHistory : [{ state: building.state, since: building.stateSince }];
  const out: Array<[number, number]> = [];
  history.forEach((entry, i) => {
    if (entry.state !== 'removed') return;
    const end = history[i + 1]?.since ?? Infinity;
    const s = Math.max(entry.since, from);
    const e = Math.min(end, to);
    if (e > s) out.push([s, e]);
  });
  return out;
}
