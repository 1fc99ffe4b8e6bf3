import type { Database, Statement } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import type { MaintenanceQuery, MaintenanceStore, MaintenanceWindow } from './types';

interface WindowRow {
  id: string;
  scope: string;
  targetId: string;
  from: number;
  to: number;
  reason: string;
  createdAt: number;
  updatedAt: number;
}

function rowToWindow(row: WindowRow): MaintenanceWindow {
  return { ...row, scope: row.scope === 'building' ? 'building' : 'device' };
}

/** Maintenance windows in the index's SQLite file (migration 21). */
export class SqliteMaintenanceStore implements MaintenanceStore {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    // The table comes with the index store's migrations.
  }

  async put(w: MaintenanceWindow): Promise<void> {
    this.prepared(
      `INSERT INTO maintenance_windows (id, scope, targetId, "from", "to", reason, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, targetId = excluded.targetId, "from" = excluded."from", "to" = excluded."to",
       reason = excluded.reason, updatedAt = excluded.updatedAt`,
    ).run(w.id, w.scope, w.targetId, w.from, w.to, w.reason, w.createdAt, w.updatedAt);
  }

  async get(id: string): Promise<MaintenanceWindow | null> {
    const row = this.prepared<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = ?').get(id);
    return row ? rowToWindow(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.prepared('DELETE FROM maintenance_windows WHERE id = ?').run(id).changes > 0;
  }

  async list(query: MaintenanceQuery): Promise<Page<MaintenanceWindow>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.scope !== undefined) {
      where.push('scope = ?');
      params.push(query.scope);
    }
    if (query.targetId !== undefined) {
      where.push('targetId = ?');
      params.push(query.targetId);
    }
    if (query.to !== undefined) {
      where.push('"from" < ?');
      params.push(query.to);
    }
    if (query.from !== undefined) {
      where.push('"to" > ?');
      params.push(query.from);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = this.prepared<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM maintenance_windows${clause}`).get(...params);
    const rows = this.prepared<unknown[], WindowRow>(`SELECT * FROM maintenance_windows${clause} ORDER BY "from", id LIMIT ? OFFSET ?`).all(
      ...params,
      Math.max(0, Math.floor(query.limit)),
      Math.max(0, Math.floor(query.offset)),
    );
    return { items: rows.map(rowToWindow), total: total?.n ?? 0 };
  }

  async overlapping(from: number, to: number): Promise<MaintenanceWindow[]> {
    return this.prepared<[number, number], WindowRow>('SELECT * FROM maintenance_windows WHERE "to" > ? AND "from" < ? ORDER BY "from", id')
      .all(from, to)
      .map(rowToWindow);
  }

  private prepared<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<P, R>;
  }
}
