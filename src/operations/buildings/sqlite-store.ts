import type { Database, Statement } from 'better-sqlite3';
import type { BuildingDevice, BuildingDeviceRole, BuildingState } from '../building-directory';
import { joinedAtCreation, membershipChanges, type BuildingMembership } from './membership';
import type { Page } from '../../storage/types';
import { likeSubstring } from '../../storage/sqlite/rows';
import {
  BuildingConflictError,
  toStoredBuilding,
  type BuildingInput,
  type BuildingQuery,
  type BuildingStateChange,
  type BuildingStore,
  type StoredBuilding,
} from './types';

interface BuildingRow {
  buildingId: string;
  name: string | null;
  address: string;
  street: string;
  community: string;
  civilCode: string | null;
  longitude: number | null;
  latitude: number | null;
  state: string;
  stateSince: number;
  stateHistory: string;
  line: string | null;
  createdAt: number;
  updatedAt: number;
}

interface DeviceRow {
  buildingId: string;
  deviceId: string;
  role: string;
}

const COLUMNS = [
  'buildingId',
  'name',
  'address',
  'street',
  'community',
  'civilCode',
  'longitude',
  'latitude',
  'state',
  'stateSince',
  'stateHistory',
  'line',
  'createdAt',
  'updatedAt',
] as const;

/**
 * Buildings in the index's SQLite file (tables from migration 20): one row per building, one per
 * device in building_devices, whose primary key is what keeps a device in at most one building.
 * Synchronous like the index store, so a check-then-write inside one transaction is atomic.
 */
export class SqliteBuildingStore implements BuildingStore {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    // The tables come with the index store's migrations.
  }

  async getBuilding(buildingId: string): Promise<StoredBuilding | null> {
    return this.read(buildingId);
  }

  async buildingOfDevice(deviceId: string): Promise<StoredBuilding | null> {
    const owner = this.ownerOf(deviceId);
    return owner === null ? null : this.read(owner);
  }

  async buildingsOnLine(line: string): Promise<StoredBuilding[]> {
    const rows = this.prepared<[string], BuildingRow>('SELECT * FROM buildings WHERE line = ? ORDER BY buildingId').all(line);
    return this.withDevices(rows);
  }

  async listBuildings(query: BuildingQuery): Promise<Page<StoredBuilding>> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ['street', 'community', 'state', 'line'] as const) {
      const value = query[key];
      if (value !== undefined) {
        where.push(`${key} = ?`);
        params.push(value);
      }
    }
    if (query.keyword !== undefined && query.keyword !== '') {
      const like = likeSubstring(query.keyword);
      where.push(
        "(buildingId LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\' OR buildingId IN (SELECT buildingId FROM building_devices WHERE deviceId = ?))",
      );
      params.push(like, like, like, query.keyword);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = this.prepared<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM buildings${clause}`).get(...params);
    const rows = this.prepared<unknown[], BuildingRow>(`SELECT * FROM buildings${clause} ORDER BY buildingId LIMIT ? OFFSET ?`).all(
      ...params,
      Math.max(0, Math.floor(query.limit)),
      Math.max(0, Math.floor(query.offset)),
    );
    return { items: this.withDevices(rows), total: total?.n ?? 0 };
  }

  async allBuildings(): Promise<StoredBuilding[]> {
    const rows = this.prepared<[], BuildingRow>('SELECT * FROM buildings ORDER BY buildingId').all();
    // In table order, sorted here: ordering by (buildingId, position) would read the table once per device.
    const devices = new Map<string, Array<[string, string, string, number]>>();
    const all = this.prepared<[], [string, string, string, number]>('SELECT buildingId, deviceId, role, position FROM building_devices').raw(true).all();
    for (const d of all) {
      let list = devices.get(d[0]);
      if (!list) devices.set(d[0], (list = []));
      list.push(d);
    }
    return rows.map((row) => {
      const list = devices.get(row.buildingId) ?? [];
      if (list.length > 1) list.sort((a, b) => a[3] - b[3]);
      return rowToBuilding(
        row,
        list.map(([buildingId, deviceId, role]) => ({ buildingId, deviceId, role })),
      );
    });
  }

  async ownersOf(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    const lookup = this.prepared<[string], { buildingId: string }>('SELECT buildingId FROM building_devices WHERE deviceId = ?');
    for (const deviceId of deviceIds) {
      const row = lookup.get(deviceId);
      if (row) owners.set(deviceId, row.buildingId);
    }
    return owners;
  }

  async createBuilding(input: BuildingInput, now: number): Promise<StoredBuilding> {
    return this.db.transaction(() => {
      if (this.exists(input.buildingId)) throw new BuildingConflictError(`building ${input.buildingId} exists`, 'exists');
      const stored = toStoredBuilding(input, null, now);
      this.writeRow(stored);
      this.insertDevices(stored);
      this.recordMemberships(stored.buildingId, [], stored.devices, joinedAtCreation(input.stateSince, now), now);
      return stored;
    })();
  }

  async replaceBuilding(input: BuildingInput, now: number): Promise<StoredBuilding> {
    return this.db.transaction(() => {
      const previous = this.read(input.buildingId);
      if (!previous) throw new BuildingConflictError(`building ${input.buildingId} is not known`, 'not-found');
      const stored = toStoredBuilding(input, previous, now);
      this.writeRow(stored);
      this.deleteDevices(stored.buildingId);
      this.insertDevices(stored);
      this.recordMemberships(stored.buildingId, previous.devices, stored.devices, now, now);
      return stored;
    })();
  }

  async deleteBuilding(buildingId: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.recordMemberships(buildingId, this.read(buildingId)?.devices ?? [], [], Date.now(), Date.now());
      this.deleteDevices(buildingId);
      return this.prepared<[string], unknown>('DELETE FROM buildings WHERE buildingId = ?').run(buildingId).changes > 0;
    })();
  }

  async writeBuildings(inputs: readonly BuildingInput[], now: number): Promise<{ created: number; updated: number }> {
    return this.db.transaction(() => {
      let created = 0;
      let updated = 0;
      const stored: Array<{ next: StoredBuilding; previous: StoredBuilding | null; givenSince: number | undefined }> = [];
      // Devices are released first, so that devices moving between buildings of the batch do not collide.
      for (const input of inputs) {
        const previous = this.read(input.buildingId);
        if (previous) updated += 1;
        else created += 1;
        const next = toStoredBuilding(input, previous, now);
        this.writeRow(next);
        this.deleteDevices(next.buildingId);
        stored.push({ next, previous, givenSince: input.stateSince });
      }
      for (const { next } of stored) this.insertDevices(next);
      for (const { next, previous, givenSince } of stored) {
        this.recordMemberships(next.buildingId, previous?.devices ?? [], next.devices, previous ? now : joinedAtCreation(givenSince, now), now);
      }
      return { created, updated };
    })();
  }

  async membershipsDuring(from: number, to: number): Promise<BuildingMembership[]> {
    return this.prepared<[number, number], BuildingMembership>(
      'SELECT buildingId, deviceId, role, since, until FROM building_device_history WHERE since < ? AND (until IS NULL OR until > ?)',
    ).all(to, from);
  }

  /** Closes the memberships of devices that left, opens those of devices that joined (at `joinedAt`). */
  private recordMemberships(buildingId: string, before: readonly BuildingDevice[], after: readonly BuildingDevice[], joinedAt: number, now: number): void {
    const changes = membershipChanges(before, after);
    const close = this.prepared<[number, string, string], unknown>(
      'UPDATE building_device_history SET until = ? WHERE buildingId = ? AND deviceId = ? AND until IS NULL',
    );
    for (const deviceId of changes.left) close.run(now, buildingId, deviceId);
    const open = this.prepared<[string, string, string, number], unknown>(
      'INSERT INTO building_device_history (buildingId, deviceId, role, since, until) VALUES (?, ?, ?, ?, NULL) ' +
        // Left and back within the same millisecond: the membership simply goes on.
        'ON CONFLICT (buildingId, deviceId, since) DO UPDATE SET until = NULL, role = excluded.role',
    );
    for (const d of changes.joined) open.run(buildingId, d.deviceId, d.role, joinedAt);
    const role = this.prepared<[string, string, string], unknown>(
      'UPDATE building_device_history SET role = ? WHERE buildingId = ? AND deviceId = ? AND until IS NULL',
    );
    for (const d of changes.roleChanged) role.run(d.role, buildingId, d.deviceId);
  }

  private exists(buildingId: string): boolean {
    return this.prepared<[string], { one: number }>('SELECT 1 AS one FROM buildings WHERE buildingId = ?').get(buildingId) !== undefined;
  }

  private ownerOf(deviceId: string): string | null {
    return this.prepared<[string], { buildingId: string }>('SELECT buildingId FROM building_devices WHERE deviceId = ?').get(deviceId)?.buildingId ?? null;
  }

  private read(buildingId: string): StoredBuilding | null {
    const row = this.prepared<[string], BuildingRow>('SELECT * FROM buildings WHERE buildingId = ?').get(buildingId);
    return row ? rowToBuilding(row, this.devicesOf(buildingId)) : null;
  }

  private devicesOf(buildingId: string): DeviceRow[] {
    return this.prepared<[string], DeviceRow>('SELECT buildingId, deviceId, role FROM building_devices WHERE buildingId = ? ORDER BY position').all(buildingId);
  }

  private withDevices(rows: BuildingRow[]): StoredBuilding[] {
    return rows.map((row) => rowToBuilding(row, this.devicesOf(row.buildingId)));
  }

  private writeRow(b: StoredBuilding): void {
    this.prepared<unknown[], unknown>(
      `INSERT INTO buildings (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (buildingId) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'buildingId' && c !== 'createdAt')
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
    ).run(
      b.buildingId,
      b.name,
      b.address,
      b.street,
      b.community,
      b.civilCode,
      b.longitude,
      b.latitude,
      b.state,
      b.stateSince,
      JSON.stringify(b.stateHistory),
      b.line,
      b.createdAt,
      b.updatedAt,
    );
  }

  private deleteDevices(buildingId: string): void {
    this.prepared<[string], unknown>('DELETE FROM building_devices WHERE buildingId = ?').run(buildingId);
  }

  private insertDevices(b: StoredBuilding): void {
    const insert = this.prepared<[string, string, string, number], unknown>(
      'INSERT INTO building_devices (deviceId, buildingId, role, position) VALUES (?, ?, ?, ?)',
    );
    b.devices.forEach((d, position) => {
      const owner = this.ownerOf(d.deviceId);
      if (owner !== null) {
        throw new BuildingConflictError(
          owner === b.buildingId ? `device ${d.deviceId} is listed twice in building ${b.buildingId}` : `device ${d.deviceId} belongs to building ${owner}`,
          'device-taken',
        );
      }
      insert.run(d.deviceId, b.buildingId, d.role, position);
    });
  }

  private prepared<P extends unknown[], R>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<P, R>;
  }
}

function rowToBuilding(row: BuildingRow, devices: DeviceRow[]): StoredBuilding {
  return {
    buildingId: row.buildingId,
    name: row.name,
    address: row.address,
    street: row.street,
    community: row.community,
    civilCode: row.civilCode,
    longitude: row.longitude,
    latitude: row.latitude,
    state: row.state as BuildingState,
    stateSince: row.stateSince,
    stateHistory: JSON.parse(row.stateHistory) as BuildingStateChange[],
    line: row.line,
    devices: devices.map((d) => ({ deviceId: d.deviceId, role: d.role as BuildingDeviceRole })),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
