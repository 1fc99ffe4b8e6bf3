import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { silentLogger } from '../../src/logger';
import { MongoUpperStore, SqliteUpperStore } from '../../src/cascade/store';
import { MongoIndexStore } from '../../src/storage/mongo/index-store';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import { runUpperStoreContract } from './upper-store.contract';

runUpperStoreContract('SQLite', async () => {
  const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
  await index.init();
  return { store: new SqliteUpperStore(index.database()), close: () => index.close() };
});

const url = process.env.MONGO_URL;
if (url) {
  const databases: string[] = [];
  after(async () => {
    const connection = await mongoose.createConnection(url).asPromise();
    try {
      for (const name of databases) await connection.useDb(name).dropDatabase();
    } finally {
      await connection.close();
    }
  });
  runUpperStoreContract('MongoDB', async () => {
    const dbName = `gbvms_cascade_test_${process.pid}_${databases.length + 1}`;
    databases.push(dbName);
    const index = new MongoIndexStore({ url, dbName, logger: silentLogger() });
    await index.init();
    return { store: new MongoUpperStore(index.mongoConnection()), close: () => index.close() };
  });
} else {
  void test.skip('MongoDB UpperStore contract skipped: MONGO_URL not set (no MongoDB server on this build machine)', () => {});
}
