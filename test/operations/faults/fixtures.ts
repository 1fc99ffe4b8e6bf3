import Database from 'better-sqlite3';
import { silentLogger } from '../../../src/logger';
import type { Building, BuildingDirectory } from '../../../src/operations/building-directory';
import type { FaultDeviceSource } from '../../../src/operations/faults/device-source';
import { migrate } from '../../../src/storage/sqlite/migrations';

/** A small in-memory BuildingDirectory for unit tests (the real one is src/operations/buildings/). */
export class MemoryDirectory implements BuildingDirectory {
  private readonly buildings = new Map<string, Building>();
  private readonly byDevice = new Map<string, string>();

  add(buildingId: string, deviceIds: { door?: string; cameras?: string[] }, line: string | null = null): Building {
    const devices = [
      ...(deviceIds.door ? [{ deviceId: deviceIds.door, role: 'door' as const }] : []),
      ...(deviceIds.cameras ?? []).map((deviceId) => ({ deviceId, role: 'camera' as const })),
    ];
    const b: Building = {
      buildingId, name: null, address: `${buildingId} Road`, street: 'S1', community: 'C1', civilCode: null,
      longitude: null, latitude: null, state: 'active', line, devices, createdAt: 0, updatedAt: 0,
    };
    this.buildings.set(buildingId, b);
    for (const d of devices) this.byDevice.set(d.deviceId, buildingId);
    return b;
  }

  async getBuilding(buildingId: string): Promise<Building | null> {
    return this.buildings.get(buildingId) ?? null;
  }

  async buildingOfDevice(deviceId: string): Promise<Building | null> {
    const id = this.byDevice.get(deviceId);
    return id === undefined ? null : (this.buildings.get(id) ?? null);
  }

  async buildingsOnLine(line: string): Promise<Building[]> {
    return [...this.buildings.values()].filter((b) => b.line === line);
  }
}

/** Device flags and online/offline events, as the index would hold them. */
export class FakeDevices implements FaultDeviceSource {
  readonly online = new Map<string, boolean>();
  readonly events: Array<{ deviceId: string; type: 'online' | 'offline'; time: number }> = [];

  set(deviceId: string, online: boolean, time: number): void {
    this.online.set(deviceId, online);
    this.events.push({ deviceId, type: online ? 'online' : 'offline', time });
  }

  async isOnline(deviceId: string): Promise<boolean | null> {
    return this.online.get(deviceId) ?? null;
  }

  async offlineDeviceIds(): Promise<string[]> {
    return [...this.online].filter(([, on]) => !on).map(([id]) => id);
  }

  async lastEventTime(deviceId: string, type: 'online' | 'offline', since: number, until: number): Promise<number | null> {
    let last: number | null = null;
    for (const e of this.events) if (e.deviceId === deviceId && e.type === type && e.time >= since && e.time < until) last = Math.max(last ?? e.time, e.time);
    return last;
  }
}

/** A migrated in-memory SQLite index database. */
export function memoryDatabase(): Database.Database {
  const db = new Database(':memory:');
  migrate(db, silentLogger());
  return db;
}

/** 20-digit IDs: building n's door host and cameras. */
export const door = (n: number) => `3402000000124${String(n).padStart(4, '0')}000`;
export const cam = (n: number, k: number) => `3402000000131${String(n).padStart(4, '0')}${String(k).padStart(3, '0')}`;
