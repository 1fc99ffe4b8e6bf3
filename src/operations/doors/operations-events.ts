import { join } from 'node:path';
import type { Config } from '../../../config';
import type { EventPublisher } from '../../events/types';
import type { Logger } from '../../logger';
import type { ManscdpDocument } from '../../sip/manscdp';
import type { SipServer } from '../../sip/sip-server';
import type { IndexStore } from '../../storage/ports';
import type { MongoIndexStore } from '../../storage/mongo/index-store';
import type { SqliteIndexStore } from '../../storage/sqlite/index-store';
import { AuditLog } from '../audit/audit-log';
import { callerAuth } from '../audit/caller';
import type { AuditStore } from '../audit/types';
import type { BuildingDirectory } from '../building-directory';
import { indexDeviceSource } from '../faults/device-source';
import { FaultService } from '../faults/fault-service';
import type { FaultStore } from '../faults/types';
import type { WatchlistStore } from '../watchlist/types';
import { WatchlistService, type WatchlistServiceOptions } from '../watchlist/watchlist-service';
import { DoorOpener } from './door-opener';
import { DoorService } from './door-service';
import { PhotoFiles } from './photos';
import type { DoorRecordStore } from './types';

export interface OperationsEventsDeps {
  config: Config;
  index: IndexStore;
  sip: SipServer;
  buildings: BuildingDirectory;
  events: EventPublisher;
  apiToken: string;
  logger: Logger;
  /** Watchlist alerts sent upward (the cascade's alarm forwarding). */
  forwardAlarmUpward?: WatchlistServiceOptions['forwardAlarmUpward'];
  /**
   * The device alarm service: door events follow its 'alarm' event, which also carries alarms
   * NOTIFYed inside subscriptions. Without it, the router's MESSAGE notifications are read.
   */
  alarms?: AlarmSource;
}

/** What door records need of the alarm service (src/alarms/alarm-service.ts). */
export interface AlarmSource {
  on(event: 'alarm', listener: (alarm: { deviceId: string }, doc: ManscdpDocument) => void): unknown;
  off(event: 'alarm', listener: (alarm: { deviceId: string }, doc: ManscdpDocument) => void): unknown;
}

/** Fault tickets, door-entry records, the watchlist, remote door opening and the audit log, wired together. */
export interface OperationsEvents {
  faults: FaultService;
  doors: DoorService;
  watchlist: WatchlistService;
  opener: DoorOpener;
  audit: AuditLog;
  auditStore: AuditStore;
  /** The /api/v1 token check with roles (API, privileged and door ingest tokens). */
  auth: ReturnType<typeof callerAuth>;
  close(): Promise<void>;
}

interface Stores {
  faults: FaultStore;
  doors: DoorRecordStore;
  watchlist: WatchlistStore;
  audit: AuditStore;
}

async function createStores(index: IndexStore): Promise<Stores> {
  let stores: Stores;
  if (index.kind === 'sqlite') {
    const db = (index as SqliteIndexStore).database();
    const [f, d, w, a] = await Promise.all([import('../faults/store-sqlite'), import('./store-sqlite'), import('../watchlist/store-sqlite'), import('../audit/store-sqlite')]);
    stores = { faults: new f.SqliteFaultStore(db), doors: new d.SqliteDoorRecordStore(db), watchlist: new w.SqliteWatchlistStore(db), audit: new a.SqliteAuditStore(db) };
  } else {
    const connection = (index as MongoIndexStore).mongoConnection();
    const [f, d, w, a] = await Promise.all([import('../faults/store-mongo'), import('./store-mongo'), import('../watchlist/store-mongo'), import('../audit/store-mongo')]);
    stores = { faults: new f.MongoFaultStore(connection), doors: new d.MongoDoorRecordStore(connection), watchlist: new w.MongoWatchlistStore(connection), audit: new a.MongoAuditStore(connection) };
  }
  await Promise.all(Object.values(stores).map((s: { init(): Promise<void> }) => s.init()));
  return stores;
}

/**
 * Starts the services (fault recovery runs here) and hooks them to SIP: presence transitions
 * feed the fault tickets, Notify Alarm documents from door hosts become door records.
 */
export async function startOperationsEvents(deps: OperationsEventsDeps): Promise<OperationsEvents> {
  const { config, index, sip, buildings, events, logger } = deps;
  const ops = config.operations;
  const stores = await createStores(index);
  const audit = new AuditLog(stores.audit, logger.child({ module: 'audit' }));
  const watchlist = new WatchlistService(stores.watchlist, events, logger.child({ module: 'watchlist' }), {
    ...(ops.watchlist.forwardUpward && deps.forwardAlarmUpward ? { forwardAlarmUpward: deps.forwardAlarmUpward } : {}),
  });
  const doors = new DoorService(stores.doors, buildings, index, new PhotoFiles(ops.doors.photoDir ?? join(config.dataDir, 'door-photos')), logger.child({ module: 'doors' }), {
    footageBeforeMs: ops.doors.footageBeforeSec * 1000,
    footageAfterMs: ops.doors.footageAfterSec * 1000,
    retentionMs: ops.doors.retentionDays * 86_400_000,
    sweepIntervalMs: ops.doors.sweepIntervalSec * 1000,
    timeZone: config.timezone,
    onRecord: async (record) => {
      await watchlist.check(record);
    },
  });
  const onNotify = (deviceId: string, doc: Parameters<DoorService['onAlarm']>[1]) => {
    if (doc.cmdType.toLowerCase() !== 'alarm') return;
    void doors.onAlarm(deviceId, doc).catch((err: unknown) => logger.error({ err, deviceId }, 'door event from SIP alarm not recorded'));
  };
  const onAlarm = (alarm: { deviceId: string }, doc: ManscdpDocument) => onNotify(alarm.deviceId, doc);
  if (deps.alarms) deps.alarms.on('alarm', onAlarm);
  else sip.router.on('notify', onNotify);
  const presence = {
    on: (event: 'online' | 'offline', listener: (deviceId: string, reason: string, at: number) => void) => sip.presence.on(event, listener),
    off: (event: 'online' | 'offline', listener: (deviceId: string, reason: string, at: number) => void) => sip.presence.off(event, listener),
  };
  const faults = new FaultService(stores.faults, buildings, indexDeviceSource(index), ops.faults.enabled ? presence : null, events, logger.child({ module: 'faults' }), {
    graceMs: ops.faults.graceSec * 1000,
    responseMs: ops.faults.responseMinutes * 60_000,
    frontEndRepairMs: ops.faults.frontEndRepairHours * 3_600_000,
    networkRepairMs: ops.faults.networkRepairHours * 3_600_000,
    noSpareFibreRepairMs: ops.faults.noSpareFibreRepairHours * 3_600_000,
    sweepIntervalMs: ops.faults.enabled ? ops.faults.sweepIntervalSec * 1000 : 0,
  });
  if (ops.faults.enabled) await faults.start();
  doors.start();
  const opener = new DoorOpener(sip.messenger, sip.pending, buildings, audit, logger.child({ module: 'door-open' }), {
    command: ops.doors.openCommand,
    timeoutMs: ops.doors.openTimeoutMs,
  });
  return {
    faults,
    doors,
    watchlist,
    opener,
    audit,
    auditStore: stores.audit,
    auth: callerAuth({ apiToken: deps.apiToken, privilegedToken: ops.privilegedToken, ingestToken: ops.doors.ingestToken }),
    async close() {
      if (deps.alarms) deps.alarms.off('alarm', onAlarm);
      else sip.router.off('notify', onNotify);
      doors.close();
      await faults.close();
    },
  };
}
