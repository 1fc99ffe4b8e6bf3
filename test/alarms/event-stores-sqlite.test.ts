import { SqliteAlarmStore } from '../../src/alarms/store/sqlite';
import { SqliteWebhookStore } from '../../src/events/store/sqlite';
import { silentLogger } from '../../src/logger';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import { runEventStoresContract } from './event-stores.contract';

runEventStoresContract('SQLite', async () => {
  const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
  await index.init();
  return { alarms: new SqliteAlarmStore(index.database()), webhooks: new SqliteWebhookStore(index.database()), close: () => index.close() };
});
