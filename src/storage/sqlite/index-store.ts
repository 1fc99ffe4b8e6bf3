import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../logger';
import type { IndexStore } from '../ports';
import { joinGapOf, normalizeRecordingSegments } from '../recordings';
import { dedupeChannels, defaultDevice, definedDeviceFields, DEVICE_UPDATE_FIELDS } from '../records';
import type {
  Channel,
  ChannelQuery,
  ChannelSyncResult,
  ChannelUpdate,
  Device,
  DeviceEvent,
  DeviceEventQuery,
  DeviceQuery,
  DeviceUpdate,
  Page,
  RecordingCoverage,
  RecordingPlan,
  RecordingQuery,
  RecordingSegment,
  RecordingTotals,
} from '../types';
import { migrate } from './migrations';
import { SqliteRecordingIndex } from './recording-index';
import { WriteBatcher } from './write-batcher';
import {
  CHANNEL_COLUMNS,
  CHANNEL_ID_INDEX,
  channelValues,
  DEVICE_COLUMNS,
  deviceToRow,
  likeSubstring,
  PRESENT_INDEX,
  rowToChannel,
  rowToDevice,
  rowToDeviceEvent,
  sameChannelValues,
  UPSERT_CHANNEL_SQL,
  type ChannelRow,
  type DeviceEventRow,
  type DeviceRow,
} from './rows';

type Statement<P extends unknown[], R> = Database.Statement<P, R>;

export interface SqliteIndexStoreOptions {
  /** A file path (its folder is created when missing) or ':memory:'. */
  path: string;
  logger: Logger;
}

/**
 * The embedded index store. better-sqlite3 is synchronous: each call runs on the event loop, so
 * queries stay on indexes and bulk writes run in one transaction. WAL with synchronous=NORMAL
 * keeps every committed transaction across a process crash (kill -9) without an fsync per commit.
 */
export class SqliteIndexStore implements IndexStore {
  readonly kind = 'sqlite' as const;
  private readonly options: SqliteIndexStoreOptions;
  private readonly logger: Logger;
  private db: Database.Database | null = null;
  private closed = false;
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();
  /** Device upserts and event appends of one event-loop turn, committed as one transaction. */
  private readonly upserts: WriteBatcher<PendingWrite, void>;
  /** Devices with an upsert in the batch: only their reads need to flush it first. */
  private readonly pendingDevices = new Set<string>();
  /**
   * The ID of every device row, read at open and kept up by this store's own writes (the only
   * writer of the table), so that reading a device that does not exist — every authenticated
   * REGISTER of an enrolment storm — answers without a query. A superset: an ID whose insert
   * rolled back stays, and costs only the query it would have cost anyway.
   */
  private knownDeviceIds = new Set<string>();
  private readonly recordings = new SqliteRecordingIndex(
    () => this.open(),
    (sql) => this.prepared(sql),
  );

  constructor(options: SqliteIndexStoreOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'sqlite-index-store' });
    this.upserts = new WriteBatcher<PendingWrite, void>({
      runBatch: (items) => {
        this.pendingDevices.clear();
        return this.open().transaction(() => items.map((w) => this.runWrite(w)))();
      },
      runOne: (w) => this.runWrite(w),
      maxBatch: WRITE_BATCH_MAX,
      linger: WRITE_LINGER,
    });
  }

  async init(): Promise<void> {
    if (this.db) return;
    if (this.closed) throw new Error('SqliteIndexStore: init() after close()');
    const { path } = this.options;
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 5000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      const version = migrate(db, this.logger);
      this.knownDeviceIds = new Set(db.prepare('SELECT deviceId FROM devices').pluck().all() as string[]);
      this.logger.debug({ path, version, devices: this.knownDeviceIds.size }, 'index store opened');
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.db) this.upserts.flush();
    this.closed = true;
    const db = this.db;
    this.db = null;
    this.statements.clear();
    if (!db) return;
    try {
      db.pragma('optimize');
    } catch (err) {
      this.logger.warn({ err }, 'PRAGMA optimize failed at close');
    }
    db.close();
  }

  /** Batched: upserts made in the same event-loop turn commit together (see WriteBatcher). */
  async upsertDevice(deviceId: string, update: DeviceUpdate): Promise<void> {
    this.open();
    this.pendingDevices.add(deviceId);
    await this.upserts.submit({ deviceId, fields: definedDeviceFields(update), now: Date.now() });
  }

  private runWrite(write: PendingWrite): void {
    if ('segments' in write) {
      this.recordings.write(write.segments);
      return;
    }
    if ('events' in write) {
      const insert = this.prepared<[string, string, string, number, string | null], unknown>(
        'INSERT INTO device_events (deviceId, type, reason, time, detail) VALUES (?, ?, ?, ?, ?)',
      );
      for (const e of write.events) insert.run(e.deviceId, e.type, e.reason, e.time, e.detail ?? null);
      return;
    }
    this.writeDevice(write);
  }

  /** One INSERT ... ON CONFLICT DO UPDATE: creates with defaults or merges the given fields. */
  private writeDevice({ deviceId, fields, now }: PendingUpsert): void {
    this.knownDeviceIds.add(deviceId);
    const keys = DEVICE_UPDATE_FIELDS.filter((k) => k in fields);
    const row = deviceToRow({ ...defaultDevice(deviceId, now), ...fields });
    this.prepared<[DeviceRow], unknown>(upsertDeviceSql(keys)).run(row);
  }

  async getDevice(deviceId: string): Promise<Device | null> {
    if (this.pendingDevices.has(deviceId)) this.upserts.flush();
    else this.open();
    if (!this.knownDeviceIds.has(deviceId)) return null;
    const row = this.prepared<[string], DeviceRow>('SELECT * FROM devices WHERE deviceId = ?').get(deviceId);
    return row ? rowToDevice(row) : null;
  }

  async listDevices(query: DeviceQuery): Promise<Page<Device>> {
    this.upserts.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.online !== undefined) {
      where.push('online = ?');
      params.push(query.online ? 1 : 0);
    }
    if (query.typeCode !== undefined) {
      where.push('typeCode = ?');
      params.push(query.typeCode);
    }
    if (query.keyword !== undefined && query.keyword !== '') {
      const like = likeSubstring(query.keyword);
      where.push(
        "(deviceId LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR manufacturer LIKE ? ESCAPE '\\' OR model LIKE ? ESCAPE '\\')",
      );
      params.push(like, like, like, like);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = this.prepared<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM devices${clause}`).get(...params);
    const rows = this.prepared<unknown[], DeviceRow>(
      `SELECT * FROM devices${clause} ORDER BY deviceId LIMIT ? OFFSET ?`,
    ).all(...params, pageLimit(query.limit), pageOffset(query.offset));
    return { items: rows.map(rowToDevice), total: total?.n ?? 0 };
  }

  async deleteDevice(deviceId: string): Promise<boolean> {
    this.upserts.flush();
    const db = this.open();
    const deleteChannels = this.prepared<[string], unknown>('DELETE FROM channels WHERE deviceId = ?');
    const deleteDevice = this.prepared<[string], unknown>('DELETE FROM devices WHERE deviceId = ?');
    const deleted = db.transaction(() => {
      deleteChannels.run(deviceId);
      return deleteDevice.run(deviceId).changes > 0;
    })();
    this.knownDeviceIds.delete(deviceId);
    return deleted;
  }

  async syncChannels(
    deviceId: string,
    channels: ChannelUpdate[],
    options: { complete: boolean },
  ): Promise<ChannelSyncResult> {
    this.upserts.flush();
    const db = this.open();
    const now = Date.now();
    const incoming = dedupeChannels(channels);
    const known = this.prepared<[string], unknown[]>(
      `SELECT ${CHANNEL_COLUMNS.join(', ')} FROM channels WHERE deviceId = ?`,
    ).raw(true);
    const upsert = this.prepared<unknown[], unknown>(UPSERT_CHANNEL_SQL);
    const markMissing = this.prepared<[number, string, string], unknown>(
      'UPDATE channels SET present = 0, updatedAt = ? WHERE deviceId = ? AND channelId = ?',
    );
    const countPresent = this.prepared<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM channels WHERE deviceId = ? AND present = 1',
    );
    const setChannelCount = this.prepared<[number, number, string, number], unknown>(
      'UPDATE devices SET channelCount = ?, updatedAt = ? WHERE deviceId = ? AND channelCount != ?',
    );

    return db.transaction((): ChannelSyncResult => {
      // Raw rows (arrays in CHANNEL_COLUMNS order): a 256-channel NVR reads ~3x faster than as objects.
      const before = new Map(known.all(deviceId).map((r) => [String(r[CHANNEL_ID_INDEX]), r]));
      const result: ChannelSyncResult = { added: 0, updated: 0, missing: 0 };
      const seen = new Set<string>();
      for (const channel of incoming) {
        seen.add(channel.channelId);
        const values = channelValues(deviceId, channel, now);
        const old = before.get(channel.channelId);
        // Devices resend their whole catalog on every registration: unchanged rows are not rewritten.
        if (old && sameChannelValues(old, values)) continue;
        if (old) result.updated += 1;
        else result.added += 1;
        upsert.run(...values);
      }
      if (options.complete) {
        for (const [channelId, old] of before) {
          if (old[PRESENT_INDEX] !== 1 || seen.has(channelId)) continue;
          markMissing.run(now, deviceId, channelId);
          result.missing += 1;
        }
      }
      const present = countPresent.get(deviceId)?.n ?? 0;
      setChannelCount.run(present, now, deviceId, present);
      return result;
    })();
  }

  async getChannel(channelId: string, deviceId?: string): Promise<Channel | null> {
    this.upserts.flush();
    const row =
      deviceId === undefined
        ? // IDs can repeat across devices: prefer a present channel, then the most recently updated.
          this.prepared<[string], ChannelRow>(
            'SELECT * FROM channels WHERE channelId = ? ORDER BY present DESC, updatedAt DESC, deviceId LIMIT 1',
          ).get(channelId)
        : this.prepared<[string, string], ChannelRow>(
            'SELECT * FROM channels WHERE deviceId = ? AND channelId = ?',
          ).get(deviceId, channelId);
    return row ? rowToChannel(row) : null;
  }

  async listChannels(query: ChannelQuery): Promise<Page<Channel>> {
    this.upserts.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.deviceId !== undefined) {
      where.push('deviceId = ?');
      params.push(query.deviceId);
    }
    if (query.parentId !== undefined) {
      where.push('parentId = ?');
      params.push(query.parentId);
    }
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.includeMissing !== true) where.push('present = 1');
    if (query.keyword !== undefined && query.keyword !== '') {
      const like = likeSubstring(query.keyword);
      where.push(
        "(channelId LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR manufacturer LIKE ? ESCAPE '\\' OR model LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\')",
      );
      params.push(like, like, like, like, like);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = this.prepared<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM channels${clause}`).get(...params);
    const rows = this.prepared<unknown[], ChannelRow>(
      `SELECT * FROM channels${clause} ORDER BY deviceId, channelId LIMIT ? OFFSET ?`,
    ).all(...params, pageLimit(query.limit), pageOffset(query.offset));
    return { items: rows.map(rowToChannel), total: total?.n ?? 0 };
  }

  /** Batched with device upserts (same transaction, same order). */
  async appendDeviceEvents(events: DeviceEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.open();
    await this.upserts.submit({ events });
  }

  async listDeviceEvents(query: DeviceEventQuery): Promise<DeviceEvent[]> {
    this.upserts.flush();
    const where = ['time >= ?', 'time < ?'];
    const params: unknown[] = [query.from, query.to];
    if (query.deviceId !== undefined) {
      where.push('deviceId = ?');
      params.push(query.deviceId);
    }
    if (query.type !== undefined) {
      where.push('type = ?');
      params.push(query.type);
    }
    const rows = this.prepared<unknown[], DeviceEventRow>(
      `SELECT deviceId, type, reason, time, detail FROM device_events WHERE ${where.join(' AND ')} ORDER BY time, id LIMIT ?`,
    ).all(...params, pageLimit(query.limit));
    return rows.map(rowToDeviceEvent);
  }

  /**
   * Batched with device upserts and events: the segments that several channels' recorders close
   * in the same turn commit together. Atomic per call (a savepoint), checked before it is queued.
   */
  async addRecordingSegments(segments: RecordingSegment[]): Promise<void> {
    const normalized = normalizeRecordingSegments(segments);
    if (normalized.length === 0) return;
    this.open();
    await this.upserts.submit({ segments: normalized });
  }

  async listRecordingSegments(query: RecordingQuery): Promise<RecordingSegment[]> {
    this.upserts.flush();
    return this.recordings.list(query);
  }

  async recordingCoverage(query: RecordingQuery & { joinGapMs?: number }): Promise<RecordingCoverage> {
    const joinGapMs = joinGapOf(query.joinGapMs);
    this.upserts.flush();
    return this.recordings.coverage(query, joinGapMs);
  }

  async putRecordingPlan(plan: RecordingPlan): Promise<void> {
    this.prepared<[string, number, string, string, number | null, number], unknown>(
      `INSERT INTO recording_plans (channelId, enabled, mode, windows, retentionDays, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(channelId) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode, windows = excluded.windows,
         retentionDays = excluded.retentionDays, updatedAt = excluded.updatedAt`,
    ).run(plan.channelId, plan.enabled ? 1 : 0, plan.mode, JSON.stringify(plan.windows), plan.retentionDays, plan.updatedAt);
  }

  async getRecordingPlan(channelId: string): Promise<RecordingPlan | null> {
    const row = this.prepared<[string], PlanRow>('SELECT * FROM recording_plans WHERE channelId = ?').get(channelId);
    return row ? rowToPlan(row) : null;
  }

  async listRecordingPlans(): Promise<RecordingPlan[]> {
    return this.prepared<[], PlanRow>('SELECT * FROM recording_plans ORDER BY channelId').all().map(rowToPlan);
  }

  async deleteRecordingPlan(channelId: string): Promise<boolean> {
    return this.prepared<[string], unknown>('DELETE FROM recording_plans WHERE channelId = ?').run(channelId).changes > 0;
  }

  async getRecordingSegment(id: string): Promise<RecordingSegment | null> {
    this.upserts.flush();
    return this.recordings.get(id);
  }

  async deleteRecordingSegments(ids: string[]): Promise<number> {
    this.upserts.flush();
    return this.recordings.delete(ids);
  }

  async oldestRecordingSegments(query: { limit: number; channelId?: string; endBefore?: number }): Promise<RecordingSegment[]> {
    this.upserts.flush();
    return this.recordings.oldest(query);
  }

  async setRecordingLock(query: { channelId: string; from: number; to: number; locked: boolean }): Promise<number> {
    this.upserts.flush();
    return this.recordings.setLock(query);
  }

  async recordingTotals(channelId?: string): Promise<RecordingTotals> {
    this.upserts.flush();
    return this.recordings.totals(channelId);
  }

  /**
   * The open database, for the stores of other domains (alarms, cascade, operations) that keep
   * their tables in the same file: their migrations are in migrations.ts with the rest.
   */
  database(): Database.Database {
    return this.open();
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    throw new Error(this.closed ? 'SqliteIndexStore is closed' : 'SqliteIndexStore: call init() first');
  }

  /** Prepares once per SQL text: the dynamic queries above have a handful of shapes each. */
  private prepared<P extends unknown[], R>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.open().prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<P, R>;
  }
}

interface PendingUpsert {
  deviceId: string;
  fields: DeviceUpdate;
  now: number;
}

type PendingWrite = PendingUpsert | { events: DeviceEvent[] } | { segments: RecordingSegment[] };

/**
 * Group commit under load (see WriteBatcher). A commit with its WAL pages costs about as much as
 * the rows it carries (measured in isolation: a registration's upsert and event take 74 µs in
 * batches of 4 registrations, 30–37 µs in batches of 64), and a storm's REGISTER queue yields
 * batches of 4. A
 * 20 ms wait gathers up to 32 registrations per commit (WRITE_BATCH_MAX); measured on the
 * 30,000-device storm (then with a refresh REGISTER per device), 10.2–11.8 s instead of
 * 13.2–14.9 s. Callers that await one write at a time never wait.
 */
const WRITE_LINGER = { afterBatchOf: 4, withinMs: 50, ms: 20 };
/**
 * A batch is written once it holds this many writes, lingering or not. Measured on the storm with
 * the 20 ms linger: at most 64, keepalive p99 stayed at 20–36 ms in five runs; at 128 or 500 it
 * passed 50 ms in five runs of fourteen (likely: a larger commit holds the thread longer), for a
 * storm ~5% faster.
 */
const WRITE_BATCH_MAX = 64;
const upsertSqlByKeys = new Map<string, string>();

function upsertDeviceSql(keys: readonly string[]): string {
  const signature = keys.join(',');
  let sql = upsertSqlByKeys.get(signature);
  if (sql === undefined) {
    const sets = [...keys, 'updatedAt'].map((k) => `${k} = excluded.${k}`).join(', ');
    sql =
      `INSERT INTO devices (${DEVICE_COLUMNS.join(', ')}) VALUES (${DEVICE_COLUMNS.map((c) => `@${c}`).join(', ')}) ` +
      `ON CONFLICT (deviceId) DO UPDATE SET ${sets}`;
    upsertSqlByKeys.set(signature, sql);
  }
  return sql;
}

function pageLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

function pageOffset(offset: number): number {
  return Number.isFinite(offset) && offset > 0 ? Math.floor(offset) : 0;
}

interface PlanRow {
  channelId: string;
  enabled: number;
  mode: string;
  windows: string;
  retentionDays: number | null;
  updatedAt: number;
}

function rowToPlan(row: PlanRow): RecordingPlan {
  return {
    channelId: row.channelId,
    enabled: row.enabled === 1,
    mode: row.mode === 'schedule' ? 'schedule' : 'continuous',
    windows: JSON.parse(row.windows) as RecordingPlan['windows'],
    retentionDays: row.retentionDays,
    updatedAt: row.updatedAt,
  };
}
