import type { Database } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import type { AlertQuery, WatchlistAlert, WatchlistEntry, WatchlistStore } from './types';

/** Watchlist entries and alerts in the index database (migration 26). */
export class SqliteWatchlistStore implements WatchlistStore {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {}

  async insertEntry(entry: WatchlistEntry): Promise<boolean> {
    const info = this.db
      .prepare('INSERT INTO watchlist_entries (id, kind, value, data) VALUES (?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING')
      .run(entry.id, entry.kind, entry.value, JSON.stringify(entry));
    return info.changes === 1;
  }

  async replaceEntry(entry: WatchlistEntry): Promise<void> {
    this.db.prepare('UPDATE watchlist_entries SET kind = ?, value = ?, data = ? WHERE id = ?').run(entry.kind, entry.value, JSON.stringify(entry), entry.id);
  }

  async deleteEntry(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM watchlist_entries WHERE id = ?').run(id).changes === 1;
  }

  async getEntry(id: string): Promise<WatchlistEntry | null> {
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM watchlist_entries WHERE id = ?').get(id);
    return row ? (JSON.parse(row.data) as WatchlistEntry) : null;
  }

  async listEntries(offset: number, limit: number): Promise<Page<WatchlistEntry>> {
    const total = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM watchlist_entries').get()?.n ?? 0;
    const rows = this.db.prepare<[number, number], { data: string }>('SELECT data FROM watchlist_entries ORDER BY kind, value LIMIT ? OFFSET ?').all(limit, offset);
    return { total, items: rows.map((r) => JSON.parse(r.data) as WatchlistEntry) };
  }

  async match(personId: string | null, cardNumber: string | null): Promise<WatchlistEntry[]> {
    const rows = this.db
      .prepare<[string | null, string | null], { data: string }>("SELECT data FROM watchlist_entries WHERE (kind = 'person' AND value = ?) OR (kind = 'card' AND value = ?)")
      .all(personId, cardNumber);
    return rows.map((r) => JSON.parse(r.data) as WatchlistEntry);
  }

  async saveAlert(alert: WatchlistAlert): Promise<void> {
    this.db
      .prepare('INSERT INTO watchlist_alerts (id, state, raisedAt, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data')
      .run(alert.id, alert.state, alert.raisedAt, JSON.stringify(alert));
  }

  async getAlert(id: string): Promise<WatchlistAlert | null> {
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM watchlist_alerts WHERE id = ?').get(id);
    return row ? (JSON.parse(row.data) as WatchlistAlert) : null;
  }

  async listAlerts(query: AlertQuery): Promise<Page<WatchlistAlert>> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, arg: string | number): void => {
      where.push(clause);
      args.push(arg);
    };
    if (query.state !== undefined) add('state = ?', query.state);
    if (query.from !== undefined) add('raisedAt >= ?', query.from);
    if (query.to !== undefined) add('raisedAt < ?', query.to);
    if (query.buildingId !== undefined) add("json_extract(data, '$.buildingId') = ?", query.buildingId);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM watchlist_alerts ${clause}`).get(...args)?.n ?? 0;
    const rows = this.db
      .prepare<unknown[], { data: string }>(`SELECT data FROM watchlist_alerts ${clause} ORDER BY raisedAt DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset);
    return { total, items: rows.map((r) => JSON.parse(r.data) as WatchlistAlert) };
  }
}
