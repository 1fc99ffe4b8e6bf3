import { mongoIndexStores } from '../helpers/mongo';
import { silentLogger } from '../../src/logger';
import { SqliteUpperStore } from '../../src/cascade/store';
import { MongoUpperStore } from '../../src/cascade/store/mongo';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import { runUpperStoreContract } from './upper-store.contract';

runUpperStoreContract('SQLite', async () => {
  const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
  await index.init();
  return { store: new SqliteUpperStore(index.database()), close: () => index.close() };
});

const mongo = mongoIndexStores('upper store contract');
if (mongo) {
  runUpperStoreContract('MongoDB', async () => {
    const index = await mongo();
    return { store: new MongoUpperStore(index.mongoConnection()), close: () => index.close() };
  });
}
