import type { Database } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import type { DoorRecord, DoorRecordQuery, DoorRecordStore } from './types';

/** Door records in the index database (migration 26): the record as JSON plus the filtered columns. */
export class SqliteDoorRecordStore implements DoorRecordStore {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {}

  async insert(record: DoorRecord): Promise<{ record: DoorRecord; created: boolean }> {
    const info = this.db
      .prepare(
        'INSERT INTO door_records (id, eventId, buildingId, deviceId, time, method, personId, cardNumber, photo, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (eventId) DO NOTHING',
      )
      .run(record.id, record.eventId, record.buildingId, record.deviceId, record.time, record.method, record.personId, record.cardNumber, record.photo, JSON.stringify(record));
    if (info.changes === 1) return { record, created: true };
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM door_records WHERE eventId = ?').get(record.eventId);
    if (!row) throw new Error(`door record ${record.eventId} neither inserted nor found`);
    return { record: JSON.parse(row.data) as DoorRecord, created: false };
  }

  async get(id: string): Promise<DoorRecord | null> {
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM door_records WHERE id = ?').get(id);
    return row ? (JSON.parse(row.data) as DoorRecord) : null;
  }

  async list(query: DoorRecordQuery): Promise<Page<DoorRecord>> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, arg: string | number): void => {
      where.push(clause);
      args.push(arg);
    };
    if (query.buildingId !== undefined) add('buildingId = ?', query.buildingId);
    if (query.personId !== undefined) add('personId = ?', query.personId);
    if (query.cardNumber !== undefined) add('cardNumber = ?', query.cardNumber);
    if (query.method !== undefined) add('method = ?', query.method);
    if (query.from !== undefined) add('time >= ?', query.from);
    if (query.to !== undefined) add('time < ?', query.to);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM door_records ${clause}`).get(...args)?.n ?? 0;
    const rows = this.db
      .prepare<unknown[], { data: string }>(`SELECT data FROM door_records ${clause} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset);
    return { total, items: rows.map((r) => JSON.parse(r.data) as DoorRecord) };
  }

  async deleteOlderThan(before: number, limit: number): Promise<DoorRecord[]> {
    return this.db.transaction(() => {
      const rows = this.db.prepare<[number, number], { id: string; data: string }>('SELECT id, data FROM door_records WHERE time < ? ORDER BY time LIMIT ?').all(before, limit);
      const del = this.db.prepare('DELETE FROM door_records WHERE id = ?');
      for (const r of rows) del.run(r.id);
      return rows.map((r) => JSON.parse(r.data) as DoorRecord);
    })();
  }
}
