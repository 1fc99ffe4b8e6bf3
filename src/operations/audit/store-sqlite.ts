import type { Database } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import type { AuditEntry, AuditInput, AuditQuery, AuditStore } from './types';

interface Row {
  id: number;
  at: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  result: string | null;
  detail: string | null;
}

/** The audit log in the index database (table audit_log, migration 26). */
export class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {}

  async append(entry: AuditInput): Promise<void> {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, role, action, target, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.role, entry.action, entry.target, entry.result, entry.detail === null ? null : JSON.stringify(entry.detail));
  }

  async list(query: AuditQuery): Promise<Page<AuditEntry>> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, arg: string | number): void => {
      where.push(clause);
      args.push(arg);
    };
    if (query.action !== undefined) add('action = ?', query.action);
    if (query.actor !== undefined) add('actor = ?', query.actor);
    if (query.from !== undefined) add('at >= ?', query.from);
    if (query.to !== undefined) add('at < ?', query.to);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM audit_log ${clause}`).get(...args)?.n ?? 0;
    const rows = this.db
      .prepare<unknown[], Row>(`SELECT * FROM audit_log ${clause} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset);
    return { total, items: rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) })) };
  }
}
