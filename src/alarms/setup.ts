import type { Config } from '../../config';
import type { EventPublisher } from '../events/types';
import type { Logger } from '../logger';
import type { ManscdpDocument } from '../sip/manscdp';
import type { SipServer } from '../sip/sip-server';
import type { IndexStore } from '../storage/ports';
import type { MongoIndexStore } from '../storage/mongo/index-store';
import type { SqliteIndexStore } from '../storage/sqlite/index-store';
import { AlarmService } from './alarm-service';
import { CatalogChanges } from './catalog-changes';
import { DeviceNotifications } from './device-notifications';
import { PositionService } from './position-service';
import type { AlarmStore } from './store/port';
import { DeviceSubscriptions, type SubscriptionKind } from './subscriptions';

export interface DeviceEventServices {
  alarms: AlarmService;
  positions: PositionService;
  catalog: CatalogChanges;
  notifications: DeviceNotifications;
  subscriptions: DeviceSubscriptions;
  close(): void;
}

export async function createAlarmStore(index: IndexStore): Promise<AlarmStore> {
  if (index.kind === 'mongodb') {
    const { MongoAlarmStore } = await import('./store/mongo');
    return new MongoAlarmStore((index as MongoIndexStore).mongoConnection());
  }
  const { SqliteAlarmStore } = await import('./store/sqlite');
  return new SqliteAlarmStore((index as SqliteIndexStore).database());
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Alarms, mobile positions and catalog changes from devices, and the subscriptions that ask for
 * them, wired to the SIP server: Notify MESSAGEs from the router, NOTIFYs outside a dialog
 * through a request handler, subscriptions renewed when a device comes back online.
 */
export async function createDeviceEvents(config: Config, deps: { index: IndexStore; sip: SipServer; publisher: EventPublisher; logger: Logger }): Promise<DeviceEventServices> {
  const { index, sip, publisher } = deps;
  const logger = deps.logger.child({ module: 'alarms' });
  const store = await createAlarmStore(index);
  await store.init();
  const timeZone = config.timezone;
  const alarms = new AlarmService(store, publisher, (deviceId, xml) => sip.messenger.sendManscdp(deviceId, xml), logger, { timeZone });
  const positions = new PositionService(store, publisher, logger, { timeZone });
  const catalog = new CatalogChanges(index, publisher, logger);
  const notifications = new DeviceNotifications(index, alarms, positions, catalog, logger);
  const onRegister: SubscriptionKind[] = [];
  if (config.events.subscribeCatalogOnRegister) onRegister.push('catalog');
  if (config.events.subscribeAlarmOnRegister) onRegister.push('alarm');
  const subscriptions = new DeviceSubscriptions(sip.endpoint, sip.messenger, sip.platform, notifications, logger, {
    expiresSec: config.events.subscriptionExpiresSec,
    mobilePositionIntervalSec: config.events.mobilePositionIntervalSec,
    retrySec: config.events.subscriptionRetrySec,
    onRegister,
  });

  const onNotify = (deviceId: string, doc: ManscdpDocument): void => notifications.onMessage(deviceId, doc);
  sip.router.on('notify', onNotify);
  sip.addRequestHandler((request, ctx) => (request.method === 'NOTIFY' ? notifications.handleNotify(request, ctx) : false), ['NOTIFY']);
  const online = (deviceId: string): void => subscriptions.onDeviceOnline(deviceId);
  const offline = (deviceId: string): void => subscriptions.onDeviceOffline(deviceId);
  sip.presence.on('online', online);
  sip.presence.on('offline', offline);

  let pruneTimer: NodeJS.Timeout | null = null;
  if (config.events.retentionDays > 0) {
    const prune = (): void => {
      store
        .prune(Date.now() - config.events.retentionDays * DAY_MS)
        .then((n) => (n > 0 ? logger.info({ rows: n }, 'old alarms and positions deleted') : undefined))
        .catch((err: unknown) => logger.warn({ err }, 'alarm retention failed'));
    };
    pruneTimer = setInterval(prune, 3600_000);
    pruneTimer.unref();
  }

  return {
    alarms,
    positions,
    catalog,
    notifications,
    subscriptions,
    close: () => {
      if (pruneTimer) clearInterval(pruneTimer);
      sip.router.off('notify', onNotify);
      sip.presence.off('online', online);
      sip.presence.off('offline', offline);
      subscriptions.close();
    },
  };
}
