import type Database from 'better-sqlite3';
import type { Snapshot, SnapshotQuery, SnapshotSource, SnapshotStore } from './types';

interface SnapshotRow {
  id: string;
  channelId: string;
  deviceId: string;
  time: number;
  source: string;
  bytes: number;
  width: number | null;
  height: number | null;
  path: string;
  sessionId: string | null;
  fileId: string | null;
}

const COLUMNS = 'id, channelId, deviceId, time, source, bytes, width, height, path, sessionId, fileId';

function toSnapshot(row: SnapshotRow): Snapshot {
  return { ...row, source: (row.source === 'device' ? 'device' : 'stream') satisfies SnapshotSource };
}

/** Snapshots in the index's SQLite file (table from migration 7). Synchronous underneath, like the index store. */
export class SqliteSnapshotStore implements SnapshotStore {
  constructor(private readonly db: Database.Database) {}

  async init(): Promise<void> {
    // The table comes with the index's migrations; fail early when this build's schema is missing.
    this.db.prepare('SELECT 1 FROM snapshots LIMIT 1').all();
  }

  async add(s: Snapshot): Promise<void> {
    this.db
      .prepare(`INSERT OR REPLACE INTO snapshots (${COLUMNS}) VALUES (@id, @channelId, @deviceId, @time, @source, @bytes, @width, @height, @path, @sessionId, @fileId)`)
      .run(s);
  }

  async get(id: string): Promise<Snapshot | null> {
    const row = this.db.prepare<[string], SnapshotRow>(`SELECT ${COLUMNS} FROM snapshots WHERE id = ?`).get(id);
    return row ? toSnapshot(row) : null;
  }

  async list(q: SnapshotQuery): Promise<Snapshot[]> {
    const rows = this.db
      .prepare<[string, number, number, number], SnapshotRow>(
        `SELECT ${COLUMNS} FROM snapshots WHERE channelId = ? AND time >= ? AND time <= ? ORDER BY time DESC, id DESC LIMIT ?`,
      )
      .all(q.channelId, q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.limit);
    return rows.map(toSnapshot);
  }

  async removeOlderThan(before: number, limit: number): Promise<Snapshot[]> {
    const rows = this.db.prepare<[number, number], SnapshotRow>(`SELECT ${COLUMNS} FROM snapshots WHERE time < ? ORDER BY time LIMIT ?`).all(before, limit);
    this.remove(rows);
    return rows.map(toSnapshot);
  }

  async trimChannel(channelId: string, keep: number): Promise<Snapshot[]> {
    const rows = this.db
      .prepare<[string, number], SnapshotRow>(`SELECT ${COLUMNS} FROM snapshots WHERE channelId = ? ORDER BY time DESC, id DESC LIMIT -1 OFFSET ?`)
      .all(channelId, Math.max(0, keep));
    this.remove(rows);
    return rows.map(toSnapshot);
  }

  private remove(rows: SnapshotRow[]): void {
    if (rows.length === 0) return;
    const del = this.db.prepare('DELETE FROM snapshots WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) del.run(r.id);
    })();
  }
}
