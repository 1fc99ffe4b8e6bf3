import { SqliteAuditStore } from '../../../src/operations/audit/store-sqlite';
import { SqliteDoorRecordStore } from '../../../src/operations/doors/store-sqlite';
import { SqliteFaultStore } from '../../../src/operations/faults/store-sqlite';
import { SqliteWatchlistStore } from '../../../src/operations/watchlist/store-sqlite';
import { memoryDatabase } from '../faults/fixtures';
import { runOperationsStoresContract } from './stores.contract';

runOperationsStoresContract('SQLite', async () => {
  const db = memoryDatabase();
  return { faults: new SqliteFaultStore(db), doors: new SqliteDoorRecordStore(db), watchlist: new SqliteWatchlistStore(db), audit: new SqliteAuditStore(db) };
});
