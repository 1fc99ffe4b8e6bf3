import type { Database } from 'better-sqlite3';
import type { Logger } from '../../logger';

/**
 * Versions reserved for features being built side by side (each appends its own entries here):
 * 4-9 device control and events (alarms, positions, snapshots), 10-19 cascade, 20-29 district
 * operations. Gaps are fine: migrations run in version order and only newer ones run.
 *
 * Numbered schema migrations. A migration is never edited once released: later features
 * (recordings, alarms, ...) append a new entry with the next version. Each runs in its own
 * transaction together with the row that records it in schema_version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, channels, device events',
    sql: `
      CREATE TABLE devices (
        deviceId TEXT NOT NULL PRIMARY KEY,
        name TEXT, manufacturer TEXT, model TEXT, firmware TEXT,
        typeCode TEXT NOT NULL,
        gbVersion TEXT NOT NULL,
        charset TEXT, password TEXT,
        online INTEGER NOT NULL,
        transport TEXT NOT NULL,
        remoteAddress TEXT, remotePort INTEGER, contact TEXT, expires INTEGER,
        registeredAt INTEGER, lastKeepaliveAt INTEGER,
        channelCount INTEGER NOT NULL,
        createdAt INTEGER NOT NULL,
        updatedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- Secondary indexes of a WITHOUT ROWID table end with the primary key, so these also serve
      -- the ORDER BY deviceId of a filtered page without a sort.
      CREATE INDEX devices_online ON devices (online);
      CREATE INDEX devices_type ON devices (typeCode);
      CREATE INDEX devices_online_type ON devices (online, typeCode);

      CREATE TABLE channels (
        deviceId TEXT NOT NULL,
        channelId TEXT NOT NULL,
        name TEXT, manufacturer TEXT, model TEXT, owner TEXT, civilCode TEXT, block TEXT, address TEXT,
        parental INTEGER NOT NULL,
        parentId TEXT, businessGroupId TEXT,
        registerWay INTEGER, secrecy INTEGER,
        ipAddress TEXT, port INTEGER,
        status TEXT NOT NULL,
        longitude REAL, latitude REAL,
        ptzType INTEGER,
        typeCode TEXT NOT NULL,
        present INTEGER NOT NULL,
        createdAt INTEGER NOT NULL,
        updatedAt INTEGER NOT NULL,
        PRIMARY KEY (deviceId, channelId)
      ) WITHOUT ROWID;
      CREATE INDEX channels_channel ON channels (channelId);
      CREATE INDEX channels_parent ON channels (parentId);
      CREATE INDEX channels_device_present ON channels (deviceId, present);

      CREATE TABLE device_events (
        id INTEGER PRIMARY KEY,
        deviceId TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        time INTEGER NOT NULL,
        detail TEXT
      );
      CREATE INDEX device_events_device_time ON device_events (deviceId, time);
      CREATE INDEX device_events_time ON device_events (time);
    `,
  },
  {
    version: 2,
    name: 'recording segments',
    // "end" is quoted everywhere: it is an SQL keyword that SQLite only tolerates as a name.
    sql: `
      CREATE TABLE recording_segments (
        id TEXT NOT NULL UNIQUE,
        channelId TEXT NOT NULL,
        deviceId TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        path TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        videoCodec TEXT NOT NULL,
        audioCodec TEXT,
        width INTEGER,
        height INTEGER,
        locked INTEGER NOT NULL,
        createdAt INTEGER NOT NULL
      );
      -- The overlap query (start < to AND end > from) reads a range of this index only: its lower
      -- bound is start >= from - the channel's longest segment (recording_channels), so it touches
      -- the segments in the window and never the months before. It covers the coverage query
      -- (start, end, bytes: no table reads) and gives the listing order by start (only segments
      -- starting at the same ms are sorted, by id, which LIMIT does not wait for).
      CREATE INDEX recording_segments_channel_start ON recording_segments (channelId, start, "end", bytes);
      -- What retention deletes next, overall and per channel; locked (evidence) rows are not in them.
      CREATE INDEX recording_segments_unlocked_end ON recording_segments ("end") WHERE locked = 0;
      CREATE INDEX recording_segments_channel_unlocked_end ON recording_segments (channelId, "end") WHERE locked = 0;

      -- Per channel: the longest segment ever stored, which only grows (deleting does not lower
      -- it), so it is always a safe lower bound for the overlap query; and the segment count and
      -- bytes, so that totals read 1 row per channel instead of scanning ~1 million (100 ms on the
      -- event loop). The store keeps them in the transaction that changes the segments, once per
      -- channel and write (triggers doing it per row halved the insert rate).
      CREATE TABLE recording_channels (
        channelId TEXT NOT NULL PRIMARY KEY,
        maxDurationMs INTEGER NOT NULL,
        segments INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'recording plans',
    sql: `
      -- One plan per channel; windows as JSON (a handful of rows, read whole).
      CREATE TABLE recording_plans (
        channelId TEXT NOT NULL PRIMARY KEY,
        enabled INTEGER NOT NULL,
        mode TEXT NOT NULL,
        windows TEXT NOT NULL,
        retentionDays INTEGER,
        updatedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/** Brings the schema to the newest version; returns the version it ended at. */
export function migrate(db: Database, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    appliedAt INTEGER NOT NULL
  )`);
  const row = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version').get();
  let current = row?.version ?? 0;
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new Error(`index database schema version ${current} is newer than this build knows (${newest}): refusing to open it`);
  }
  const record = db.prepare('INSERT INTO schema_version (version, name, appliedAt) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    })();
    current = migration.version;
    logger.info({ version: migration.version, migration: migration.name }, 'index schema migrated');
  }
  return current;
}
