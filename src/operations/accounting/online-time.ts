import type { BuildingDeviceRole } from '../building-directory';
import type { BuildingMembership } from '../buildings/membership';
import type { StoredBuilding } from '../buildings/types';
import type { MaintenanceWindow } from '../maintenance/types';
import type { AccountingEventSource } from './event-source';
import { normalize, overlapLength, totalLength, type Intervals } from './intervals';

/** A period left out of a device's accounting, as the report lists it (clipped to the period). */
export interface Exclusion {
  /** 'not-in-building': the device joined the building after the period began or left before it ended. */
  kind: 'maintenance' | 'building-removed' | 'not-in-building';
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

/** A device's part in one building over the period: its role and when it belonged (clipped). */
interface Member {
  deviceId: string;
  role: BuildingDeviceRole;
  /** null: no history for it (a membership older than the history): the whole period. */
  spans: Array<readonly [number, number]> | null;
}

/**
 * Each building's devices over [from, to): its current devices, then those that left during the
 * period, each with the spans in which it belonged. A current device without history rows (kept
 * before the history, or by a store that lost a write) belongs for the whole period.
 */
function membersByBuilding(
  buildings: readonly StoredBuilding[],
  memberships: readonly BuildingMembership[],
  from: number,
  to: number,
): Map<string, Member[]> {
  const rows = new Map<string, Map<string, Member>>();
  for (const m of memberships) {
    const end = m.until ?? to;
    if (end <= from || m.since >= to) continue;
    let byDevice = rows.get(m.buildingId);
    if (!byDevice) rows.set(m.buildingId, (byDevice = new Map()));
    const member = byDevice.get(m.deviceId);
    if (member) {
      member.spans?.push([m.since, end]);
      if (m.until === null) member.role = m.role;
    } else {
      byDevice.set(m.deviceId, { deviceId: m.deviceId, role: m.role, spans: [[m.since, end]] });
    }
  }
  const out = new Map<string, Member[]>();
  for (const b of buildings) {
    const byDevice = rows.get(b.buildingId) ?? new Map<string, Member>();
    const members: Member[] = [];
    for (const d of b.devices) {
      const member = byDevice.get(d.deviceId);
      members.push({ deviceId: d.deviceId, role: d.role, spans: member?.spans ?? null });
      byDevice.delete(d.deviceId);
    }
    // Devices that left during the period, in a stable order.
    members.push(...[...byDevice.values()].sort((a, c) => (a.deviceId < c.deviceId ? -1 : 1)));
    out.set(b.buildingId, members);
  }
  return out;
}

/** The parts of [from, to) outside `spans`. */
function outside(spans: ReadonlyArray<readonly [number, number]>, from: number, to: number): Array<[number, number]> {
  const inside = normalize(spans, from, to);
  const out: Array<[number, number]> = [];
  let at = from;
  for (let i = 0; i < inside.length; i += 2) {
    const s = inside[i] as number;
    if (s > at) out.push([at, s]);
    at = inside[i + 1] as number;
  }
  if (at < to) out.push([at, to]);
  return out;
}

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
  memberships: readonly BuildingMembership[] = [],
): Promise<OnlineTimeResult> {
  const members = membersByBuilding(buildings, memberships, from, to);
  const deviceIds = [...new Set([...members.values()].flatMap((list) => list.map((m) => m.deviceId)))];
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

  // Open intervals end with the period; once per device, which may be counted in two buildings.
  for (const t of trackers.values()) if (t.online && to > t.since) t.intervals.push(t.since, to);

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
    for (const d of members.get(building.buildingId) ?? []) {
      const t = trackers.get(d.deviceId);
      if (!t) continue;
      const online = t.intervals;
      const own: Array<readonly [number, number]> = [...buildingExcluded];
      if (d.spans !== null) {
        for (const [s, e] of outside(d.spans, from, to)) {
          own.push([s, e]);
          exclusions.push({ kind: 'not-in-building', buildingId: building.buildingId, deviceId: d.deviceId, reason: 'device not in this building', from: s, to: e });
        }
      }
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
