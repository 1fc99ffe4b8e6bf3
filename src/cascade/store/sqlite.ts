import type { Database, Statement } from 'better-sqlite3';
import type { UpperPlatform, UpperPlatformPatch, UpperShare } from '../types';
import type { UpperStore } from './upper-store';

/** Tables `cascade_uppers` and `cascade_shares` (migration 10 in src/storage/sqlite/migrations.ts). */
interface UpperRow {
  upperId: string;
  name: string | null;
  domain: string;
  host: string;
  port: number;
  transport: string;
  password: string | null;
  localId: string | null;
  registerExpiresSec: number;
  keepaliveIntervalSec: number;
  keepaliveTimeoutCount: number;
  charset: string;
  catalogItemsPerMessage: number;
  idMode: string;
  recordSource: string;
  enabled: number;
  createdAt: number;
  updatedAt: number;
}

interface ShareRow {
  upperId: string;
  localId: string;
  kind: string;
  deviceId: string | null;
  mappedId: string | null;
  createdAt: number;
}

const COLUMNS = [
  'upperId', 'name', 'domain', 'host', 'port', 'transport', 'password', 'localId', 'registerExpiresSec',
  'keepaliveIntervalSec', 'keepaliveTimeoutCount', 'charset', 'catalogItemsPerMessage', 'idMode', 'recordSource',
  'enabled', 'createdAt', 'updatedAt',
] as const;

function fromRow(row: UpperRow): UpperPlatform {
  return { ...row, enabled: row.enabled === 1 } as UpperPlatform;
}

function toRow(upper: UpperPlatform): UpperRow {
  return { ...upper, enabled: upper.enabled ? 1 : 0 };
}

export class SqliteUpperStore implements UpperStore {
  private statements: {
    put: Statement<UpperRow>;
    get: Statement<[string], UpperRow>;
    list: Statement<[], UpperRow>;
    deleteUpper: Statement<[string]>;
    deleteShares: Statement<[string]>;
    putShare: Statement<ShareRow>;
    removeShare: Statement<[string, string]>;
    listShares: Statement<[string], ShareRow>;
  } | null = null;

  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    const db = this.db;
    this.statements = {
      put: db.prepare(
        `INSERT OR REPLACE INTO cascade_uppers (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
      ),
      get: db.prepare('SELECT * FROM cascade_uppers WHERE upperId = ?'),
      list: db.prepare('SELECT * FROM cascade_uppers ORDER BY upperId'),
      deleteUpper: db.prepare('DELETE FROM cascade_uppers WHERE upperId = ?'),
      deleteShares: db.prepare('DELETE FROM cascade_shares WHERE upperId = ?'),
      putShare: db.prepare(
        'INSERT OR REPLACE INTO cascade_shares (upperId, localId, kind, deviceId, mappedId, createdAt) VALUES (@upperId, @localId, @kind, @deviceId, @mappedId, @createdAt)',
      ),
      removeShare: db.prepare('DELETE FROM cascade_shares WHERE upperId = ? AND localId = ?'),
      listShares: db.prepare('SELECT * FROM cascade_shares WHERE upperId = ? ORDER BY localId'),
    };
  }

  private get s(): NonNullable<SqliteUpperStore['statements']> {
    if (this.statements === null) throw new Error('SqliteUpperStore: call init() first');
    return this.statements;
  }

  async putUpper(upper: UpperPlatform): Promise<void> {
    this.s.put.run(toRow(upper));
  }

  async getUpper(upperId: string): Promise<UpperPlatform | null> {
    const row = this.s.get.get(upperId);
    return row ? fromRow(row) : null;
  }

  async listUppers(): Promise<UpperPlatform[]> {
    return this.s.list.all().map(fromRow);
  }

  async updateUpper(upperId: string, patch: UpperPlatformPatch, now: number): Promise<UpperPlatform | null> {
    const run = this.db.transaction((): UpperPlatform | null => {
      const row = this.s.get.get(upperId);
      if (!row) return null;
      const updated: UpperPlatform = { ...fromRow(row), ...patch, upperId, updatedAt: now };
      this.s.put.run(toRow(updated));
      return updated;
    });
    return run();
  }

  async deleteUpper(upperId: string): Promise<boolean> {
    const run = this.db.transaction((): boolean => {
      this.s.deleteShares.run(upperId);
      return this.s.deleteUpper.run(upperId).changes > 0;
    });
    return run();
  }

  async addShares(shares: UpperShare[]): Promise<void> {
    const run = this.db.transaction(() => {
      for (const share of shares) this.s.putShare.run({ ...share });
    });
    run();
  }

  async removeShares(upperId: string, localIds: string[]): Promise<number> {
    const run = this.db.transaction((): number => {
      let removed = 0;
      for (const id of localIds) removed += this.s.removeShare.run(upperId, id).changes;
      return removed;
    });
    return run();
  }

  async listShares(upperId: string): Promise<UpperShare[]> {
    return this.s.listShares.all(upperId) as UpperShare[];
  }
}
