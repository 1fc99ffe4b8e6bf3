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
  {
    version: 4,
    name: 'webhooks',
    sql: `
      -- Topics as a JSON array; the delivery log columns are rewritten after each attempt.
      CREATE TABLE webhooks (
        id TEXT NOT NULL PRIMARY KEY,
        url TEXT NOT NULL,
        topics TEXT NOT NULL,
        secret TEXT NOT NULL,
        createdAt INTEGER NOT NULL,
        delivered INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        consecutiveFailures INTEGER NOT NULL,
        lastStatus INTEGER, lastError TEXT, lastAttemptAt INTEGER, lastSuccessAt INTEGER
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'alarms and mobile positions',
    sql: `
      CREATE TABLE alarms (
        id TEXT NOT NULL PRIMARY KEY,
        deviceId TEXT NOT NULL,
        sourceId TEXT NOT NULL,
        priority INTEGER, method INTEGER, type INTEGER, eventType INTEGER,
        time INTEGER NOT NULL,
        timeText TEXT, description TEXT,
        longitude REAL, latitude REAL,
        extraInfo TEXT NOT NULL,
        sn INTEGER,
        via TEXT NOT NULL,
        receivedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX alarms_time ON alarms (time, id);
      CREATE INDEX alarms_device_time ON alarms (deviceId, time);
      CREATE INDEX alarms_source_time ON alarms (sourceId, time);

      CREATE TABLE positions (
        id INTEGER PRIMARY KEY,
        deviceId TEXT NOT NULL,
        reporterId TEXT NOT NULL,
        time INTEGER NOT NULL,
        longitude REAL NOT NULL, latitude REAL NOT NULL,
        speed REAL, direction REAL, altitude REAL,
        receivedAt INTEGER NOT NULL
      );
      CREATE INDEX positions_device_time ON positions (deviceId, time);
      CREATE INDEX positions_reporter_time ON positions (reporterId, time);
      CREATE INDEX positions_time ON positions (time);
    `,
  },
  {
    version: 7,
    name: 'snapshots',
    sql: `
      CREATE TABLE snapshots (
        id TEXT NOT NULL PRIMARY KEY,
        channelId TEXT NOT NULL,
        deviceId TEXT NOT NULL,
        time INTEGER NOT NULL,
        source TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        width INTEGER, height INTEGER,
        path TEXT NOT NULL,
        sessionId TEXT, fileId TEXT
      ) WITHOUT ROWID;
      CREATE INDEX snapshots_channel_time ON snapshots (channelId, time);
      CREATE INDEX snapshots_time ON snapshots (time);
    `,
  },
  {
    version: 10,
    name: 'cascade: upper platforms and their shares',
    sql: `
      CREATE TABLE cascade_uppers (
        upperId TEXT NOT NULL PRIMARY KEY,
        name TEXT, domain TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, transport TEXT NOT NULL,
        password TEXT, localId TEXT,
        registerExpiresSec INTEGER NOT NULL, keepaliveIntervalSec INTEGER NOT NULL, keepaliveTimeoutCount INTEGER NOT NULL,
        charset TEXT NOT NULL, catalogItemsPerMessage INTEGER NOT NULL, idMode TEXT NOT NULL, recordSource TEXT NOT NULL,
        enabled INTEGER NOT NULL, createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE cascade_shares (
        upperId TEXT NOT NULL, localId TEXT NOT NULL, kind TEXT NOT NULL, deviceId TEXT, mappedId TEXT, createdAt INTEGER NOT NULL,
        PRIMARY KEY (upperId, localId)
      ) WITHOUT ROWID;
      CREATE INDEX cascade_shares_mapped ON cascade_shares (upperId, mappedId);
    `,
  },
  {
    version: 20,
    name: 'buildings and their devices (district operations)',
    sql: `
      -- stateHistory: JSON array of {state, since}, oldest first (accounting leaves removed periods out).
      CREATE TABLE buildings (
        buildingId TEXT NOT NULL PRIMARY KEY,
        name TEXT,
        address TEXT NOT NULL,
        street TEXT NOT NULL,
        community TEXT NOT NULL,
        civilCode TEXT,
        longitude REAL, latitude REAL,
        state TEXT NOT NULL,
        stateSince INTEGER NOT NULL,
        stateHistory TEXT NOT NULL,
        line TEXT,
        createdAt INTEGER NOT NULL,
        updatedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX buildings_street_community ON buildings (street, community);
      CREATE INDEX buildings_community ON buildings (community);
      CREATE INDEX buildings_state ON buildings (state);
      CREATE INDEX buildings_line ON buildings (line) WHERE line IS NOT NULL;
      -- The primary key keeps a device in at most one building.
      CREATE TABLE building_devices (
        deviceId TEXT NOT NULL PRIMARY KEY,
        buildingId TEXT NOT NULL,
        role TEXT NOT NULL,
        position INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX building_devices_building ON building_devices (buildingId, position);
    `,
  },
  {
    version: 21,
    name: 'maintenance windows (district operations)',
    sql: `
      CREATE TABLE maintenance_windows (
        id TEXT NOT NULL PRIMARY KEY,
        scope TEXT NOT NULL,
        targetId TEXT NOT NULL,
        "from" INTEGER NOT NULL,
        "to" INTEGER NOT NULL,
        reason TEXT NOT NULL,
        createdAt INTEGER NOT NULL,
        updatedAt INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX maintenance_windows_target ON maintenance_windows (targetId, "from");
      CREATE INDEX maintenance_windows_to ON maintenance_windows ("to");
    `,
  },
  {
    version: 22,
    name: 'device events covering index for online-rate accounting',
    sql: `
      -- The settlement reads a month of every device's events in (time, insertion) order: this
      -- index holds all it needs, so the scan never visits the table (half the time at 250,000 events).
      CREATE INDEX device_events_time_cover ON device_events (time, id, deviceId, type);
      -- The state at the start of a period, one seek per device, also without a table read.
      CREATE INDEX device_events_device_cover ON device_events (deviceId, time, id, type);
    `,
  },
  {
    version: 25,
    name: 'fault tickets and spare-fibre flags (district operations)',
    sql: `
      -- data: the whole ticket as JSON; the columns beside it are what queries filter on.
      CREATE TABLE fault_tickets (
        id TEXT NOT NULL PRIMARY KEY,
        state TEXT NOT NULL,
        openedAt INTEGER NOT NULL,
        breached INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX fault_tickets_opened ON fault_tickets (openedAt);
      CREATE INDEX fault_tickets_state_opened ON fault_tickets (state, openedAt);
      CREATE TABLE fault_ticket_devices (
        deviceId TEXT NOT NULL,
        ticketId TEXT NOT NULL,
        openedAt INTEGER NOT NULL,
        PRIMARY KEY (deviceId, ticketId)
      ) WITHOUT ROWID;
      CREATE TABLE fault_ticket_buildings (
        buildingId TEXT NOT NULL,
        ticketId TEXT NOT NULL,
        PRIMARY KEY (buildingId, ticketId)
      ) WITHOUT ROWID;
      -- scope 'line' (a network line) or 'building'; a flag here sets the 24 h network repair deadline.
      CREATE TABLE fault_fibre (
        scope TEXT NOT NULL,
        id TEXT NOT NULL,
        noSpareFibre INTEGER NOT NULL,
        note TEXT,
        updatedAt INTEGER NOT NULL,
        PRIMARY KEY (scope, id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 26,
    name: 'door-entry records, watchlist, alerts, audit log (district operations)',
    sql: `
      CREATE TABLE door_records (
        id TEXT NOT NULL PRIMARY KEY,
        eventId TEXT NOT NULL UNIQUE,
        buildingId TEXT NOT NULL,
        deviceId TEXT NOT NULL,
        time INTEGER NOT NULL,
        method TEXT,
        personId TEXT,
        cardNumber TEXT,
        photo TEXT,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX door_records_time ON door_records (time);
      CREATE INDEX door_records_building_time ON door_records (buildingId, time);
      CREATE INDEX door_records_person_time ON door_records (personId, time) WHERE personId IS NOT NULL;
      CREATE INDEX door_records_card_time ON door_records (cardNumber, time) WHERE cardNumber IS NOT NULL;
      CREATE TABLE watchlist_entries (
        id TEXT NOT NULL PRIMARY KEY,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (kind, value)
      ) WITHOUT ROWID;
      CREATE TABLE watchlist_alerts (
        id TEXT NOT NULL PRIMARY KEY,
        state TEXT NOT NULL,
        raisedAt INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX watchlist_alerts_raised ON watchlist_alerts (raisedAt);
      CREATE INDEX watchlist_alerts_state_raised ON watchlist_alerts (state, raisedAt);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        result TEXT,
        detail TEXT
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_action_at ON audit_log (action, at);
    `,
  },
  {
    version: 27,
    name: "buildings' device membership history (online-rate accounting)",
    sql: `
      -- until NULL: still in the building. since 0: a membership from before the history was kept.
      CREATE TABLE building_device_history (
        buildingId TEXT NOT NULL,
        deviceId TEXT NOT NULL,
        role TEXT NOT NULL,
        since INTEGER NOT NULL,
        until INTEGER,
        PRIMARY KEY (buildingId, deviceId, since)
      ) WITHOUT ROWID;
      CREATE INDEX building_device_history_since ON building_device_history (since);
      INSERT INTO building_device_history (buildingId, deviceId, role, since, until)
        SELECT buildingId, deviceId, role, 0, NULL FROM building_devices;
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
