import type { Building, BuildingDirectory } from '../building-directory';
import type { FaultKind, FaultScope } from './types';

/** What the classifier knows about devices right now. */
export interface OutageView {
  /** When a device the service tracks as offline went offline (undefined when not tracked). */
  offlineAt(deviceId: string): number | undefined;
  /** The device is already on an unresolved ticket. */
  ticketed(deviceId: string): boolean;
  /** The stored flag, for devices the service does not track; null when unknown. */
  isOnline(deviceId: string): Promise<boolean | null>;
}

export interface Outage {
  kind: FaultKind;
  scope: FaultScope;
  buildingIds: string[];
  line: string | null;
  devices: Array<{ deviceId: string; offlineAt: number }>;
}

type Offline = Array<{ deviceId: string; offlineAt: number }>;

/**
 * Classifies the outage of a device whose grace time has passed. Network fault: every device of
 * its building went offline within one grace window (and then every device of every building on
 * its line, when the line has several buildings). Anything else: a front-end fault of the device.
 * Devices the platform does not know are left out; a building needs two known devices to count.
 */
export async function classifyOutage(
  deviceId: string,
  offlineAt: number,
  directory: BuildingDirectory,
  view: OutageView,
  graceMs: number,
  lineCache: Map<string, Outage | null>,
): Promise<Outage> {
  const building = await directory.buildingOfDevice(deviceId);
  const single: Outage = {
    kind: 'front-end',
    scope: 'device',
    buildingIds: building ? [building.buildingId] : [],
    line: building?.line ?? null,
    devices: [{ deviceId, offlineAt }],
  };
  if (!building) return single;
  const own = await wholeBuildingOffline(building, view);
  if (!own || !withinWindow(own, graceMs)) return single;
  if (building.line) {
    let line = lineCache.get(building.line);
    if (line === undefined) {
      line = await wholeLineOffline(building.line, directory, view, graceMs);
      lineCache.set(building.line, line);
    }
    if (line && line.buildingIds.includes(building.buildingId)) return line;
  }
  return { kind: 'network', scope: 'building', buildingIds: [building.buildingId], line: building.line, devices: own };
}

async function wholeBuildingOffline(building: Building, view: OutageView): Promise<Offline | null> {
  const offline: Offline = [];
  for (const { deviceId } of building.devices) {
    if (view.ticketed(deviceId)) return null;
    const at = view.offlineAt(deviceId);
    if (at !== undefined) {
      offline.push({ deviceId, offlineAt: at });
      continue;
    }
    const online = await view.isOnline(deviceId);
    // Offline but untracked: offline since before anything we saw, so not part of this outage.
    if (online !== null) return null;
  }
  return offline.length >= 2 ? offline : null;
}

async function wholeLineOffline(line: string, directory: BuildingDirectory, view: OutageView, graceMs: number): Promise<Outage | null> {
  const buildings = await directory.buildingsOnLine(line);
  if (buildings.length < 2) return null;
  const devices: Offline = [];
  for (const b of buildings) {
    const offline = await wholeBuildingOffline(b, view);
    if (!offline) return null;
    devices.push(...offline);
  }
  if (!withinWindow(devices, graceMs)) return null;
  return { kind: 'network', scope: 'line', buildingIds: buildings.map((b) => b.buildingId), line, devices };
}

function withinWindow(devices: Offline, graceMs: number): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const d of devices) {
    min = Math.min(min, d.offlineAt);
    max = Math.max(max, d.offlineAt);
  }
  return max - min <= graceMs;
}
