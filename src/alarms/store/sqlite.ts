import type { Database } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import type { AlarmQuery, AlarmRecord, AlarmStore, PositionQuery, PositionRecord } from './port';

interface AlarmRow extends Omit<AlarmRecord, 'extraInfo' | 'via'> {
  extraInfo: string;
  via: string;
}

const ALARM_COLUMNS = [
  'id', 'deviceId', 'sourceId', 'priority', 'method', 'type', 'eventType', 'time', 'timeText',
  'description', 'longitude', 'latitude', 'extraInfo', 'sn', 'via', 'receivedAt',
] as const;
const POSITION_COLUMNS = ['deviceId', 'reporterId', 'time', 'longitude', 'latitude', 'speed', 'direction', 'altitude', 'receivedAt'] as const;

function fromRow(row: AlarmRow): AlarmRecord {
  const extra = JSON.parse(row.extraInfo) as unknown;
  return {
    ...row,
    extraInfo: Array.isArray(extra) ? extra.filter((e): e is string => typeof e === 'string') : [],
    via: row.via === 'notify' ? 'notify' : 'message',
  };
}

/** Alarms and positions in the SQLite index file (tables from migration 5). */
export class SqliteAlarmStore implements AlarmStore {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    this.db.prepare('SELECT 1 FROM alarms LIMIT 1').get();
    this.db.prepare('SELECT 1 FROM positions LIMIT 1').get();
  }

  async addAlarm(a: AlarmRecord): Promise<void> {
    this.db
      .prepare(`INSERT INTO alarms (${ALARM_COLUMNS.join(', ')}) VALUES (${ALARM_COLUMNS.map(() => '?').join(', ')})`)
      .run(a.id, a.deviceId, a.sourceId, a.priority, a.method, a.type, a.eventType, a.time, a.timeText, a.description, a.longitude, a.latitude, JSON.stringify(a.extraInfo), a.sn, a.via, a.receivedAt);
  }

  async getAlarm(id: string): Promise<AlarmRecord | null> {
    const row = this.db.prepare<[string], AlarmRow>('SELECT * FROM alarms WHERE id = ?').get(id);
    return row ? fromRow(row) : null;
  }

  async listAlarms(q: AlarmQuery): Promise<Page<AlarmRecord>> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (q.deviceId !== undefined) {
      where.push('(deviceId = ? OR sourceId = ?)');
      args.push(q.deviceId, q.deviceId);
    }
    for (const [column, value] of [['type', q.type], ['priority', q.priority], ['method', q.method]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    if (q.from !== undefined) {
      where.push('time >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('time < ?');
      args.push(q.to);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare<Array<string | number>, { n: number }>(`SELECT COUNT(*) AS n FROM alarms ${clause}`).get(...args)?.n ?? 0;
    const items = this.db
      .prepare<Array<string | number>, AlarmRow>(`SELECT * FROM alarms ${clause} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset)
      .map(fromRow);
    return { items, total };
  }

  async addPositions(positions: PositionRecord[]): Promise<void> {
    if (positions.length === 0) return;
    const insert = this.db.prepare(`INSERT INTO positions (${POSITION_COLUMNS.join(', ')}) VALUES (${POSITION_COLUMNS.map(() => '?').join(', ')})`);
    this.db.transaction(() => {
      for (const p of positions) insert.run(p.deviceId, p.reporterId, p.time, p.longitude, p.latitude, p.speed, p.direction, p.altitude, p.receivedAt);
    })();
  }

  async listPositions(q: PositionQuery): Promise<PositionRecord[]> {
    // Two index range reads joined by UNION: a device's own track, and what it reported for others.
    return this.db
      .prepare<[string, number, number, string, string, number, number, number], PositionRecord>(
        `SELECT ${POSITION_COLUMNS.join(', ')} FROM (
           SELECT * FROM positions WHERE deviceId = ? AND time >= ? AND time < ?
           UNION
           SELECT * FROM positions WHERE reporterId = ? AND deviceId != ? AND time >= ? AND time < ?
         ) ORDER BY time, deviceId LIMIT ?`,
      )
      .all(q.deviceId, q.from, q.to, q.deviceId, q.deviceId, q.from, q.to, q.limit);
  }

  async prune(before: number): Promise<number> {
    return this.db.transaction(() => {
      const a = this.db.prepare('DELETE FROM alarms WHERE time < ?').run(before).changes;
      const p = this.db.prepare('DELETE FROM positions WHERE time < ?').run(before).changes;
      return a + p;
    })();
  }
}
