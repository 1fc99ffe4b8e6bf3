import type { Database, Statement } from 'better-sqlite3';
import type { Page } from '../../storage/types';
import { isBreached, type FaultQuery, type FaultStore, type FaultTicket, type FibreFlag } from './types';

/** Fault tickets in the index database (migration 25): the ticket as JSON, devices and buildings in side tables for lookups. */
export class SqliteFaultStore implements FaultStore {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Database) {}

  /** Prepared once per SQL text (the sweep of a district-wide outage writes thousands of tickets). */
  private stmt<R = unknown>(sql: string): Statement<unknown[], R> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, s);
    }
    return s as Statement<unknown[], R>;
  }

  async init(): Promise<void> {}

  private readonly write = (t: FaultTicket): void => {
    this.db.transaction(() => {
      this.stmt(
        'INSERT INTO fault_tickets (id, state, openedAt, breached, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, breached = excluded.breached, data = excluded.data',
      ).run(t.id, t.state, t.openedAt, isBreached(t) ? 1 : 0, JSON.stringify(t));
      const device = this.stmt('INSERT OR IGNORE INTO fault_ticket_devices (deviceId, ticketId, openedAt) VALUES (?, ?, ?)');
      for (const d of t.devices) device.run(d.deviceId, t.id, t.openedAt);
      const building = this.stmt('INSERT OR IGNORE INTO fault_ticket_buildings (buildingId, ticketId) VALUES (?, ?)');
      for (const b of t.buildingIds) building.run(b, t.id);
    })();
  };

  async save(ticket: FaultTicket): Promise<void> {
    this.write(ticket);
  }

  async get(id: string): Promise<FaultTicket | null> {
    const row = this.stmt<{ data: string }>('SELECT data FROM fault_tickets WHERE id = ?').get(id);
    return row ? (JSON.parse(row.data) as FaultTicket) : null;
  }

  async list(query: FaultQuery): Promise<Page<FaultTicket>> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, arg: string | number): void => {
      where.push(clause);
      args.push(arg);
    };
    if (query.state !== undefined) add('t.state = ?', query.state);
    if (query.breached !== undefined) add('t.breached = ?', query.breached ? 1 : 0);
    if (query.from !== undefined) add('t.openedAt >= ?', query.from);
    if (query.to !== undefined) add('t.openedAt < ?', query.to);
    if (query.buildingId !== undefined) {
      where.push('t.id IN (SELECT ticketId FROM fault_ticket_buildings WHERE buildingId = ?)');
      args.push(query.buildingId);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM fault_tickets t ${clause}`).get(...args)?.n ?? 0;
    const rows = this.db
      .prepare<unknown[], { data: string }>(`SELECT t.data FROM fault_tickets t ${clause} ORDER BY t.openedAt DESC, t.id DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset);
    return { total, items: rows.map((r) => JSON.parse(r.data) as FaultTicket) };
  }

  async unresolved(): Promise<FaultTicket[]> {
    const rows = this.db
      .prepare<[], { data: string }>("SELECT data FROM fault_tickets WHERE state != 'resolved' ORDER BY openedAt, id")
      .all();
    return rows.map((r) => JSON.parse(r.data) as FaultTicket);
  }

  async lastTicketOpenedFor(deviceId: string): Promise<number | null> {
    return this.stmt<{ t: number | null }>('SELECT MAX(openedAt) AS t FROM fault_ticket_devices WHERE deviceId = ?').get(deviceId)?.t ?? null;
  }

  async putFibre(flag: FibreFlag): Promise<void> {
    this
      .stmt('INSERT OR REPLACE INTO fault_fibre (scope, id, noSpareFibre, note, updatedAt) VALUES (?, ?, ?, ?, ?)')
      .run(flag.scope, flag.id, flag.noSpareFibre ? 1 : 0, flag.note, flag.updatedAt);
  }

  async getFibre(scope: 'line' | 'building', id: string): Promise<FibreFlag | null> {
    const row = this.stmt<FibreRow>('SELECT * FROM fault_fibre WHERE scope = ? AND id = ?').get(scope, id);
    return row ? fromFibreRow(row) : null;
  }

  async listFibre(): Promise<FibreFlag[]> {
    return this.db.prepare<[], FibreRow>('SELECT * FROM fault_fibre ORDER BY scope, id').all().map(fromFibreRow);
  }
}

interface FibreRow {
  scope: string;
  id: string;
  noSpareFibre: number;
  note: string | null;
  updatedAt: number;
}

function fromFibreRow(r: FibreRow): FibreFlag {
  return { scope: r.scope === 'building' ? 'building' : 'line', id: r.id, noSpareFibre: r.noSpareFibre === 1, note: r.note, updatedAt: r.updatedAt };
}
