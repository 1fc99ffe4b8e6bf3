import { silentLogger } from '../../../src/logger';
import { SqliteBuildingStore } from '../../../src/operations/buildings/sqlite-store';
import { SqliteMaintenanceStore } from '../../../src/operations/maintenance/sqlite-store';
import { SqliteIndexStore } from '../../../src/storage/sqlite/index-store';
import { runBuildingStoreContract } from './building-store.contract';

runBuildingStoreContract('SQLite', async () => {
  const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
  await index.init();
  return { buildings: new SqliteBuildingStore(index.database()), maintenance: new SqliteMaintenanceStore(index.database()), close: () => index.close() };
});
