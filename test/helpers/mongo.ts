import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { silentLogger } from '../../src/logger';
import { MongoIndexStore } from '../../src/storage/mongo/index-store';

/**
 * MongoDB for a contract suite, when MONGO_URL names a server: each call of the returned factory
 * opens (and initializes) an index store on a database of its own, so contract tests start empty;
 * every store is closed and every database dropped when the file's tests end. Without MONGO_URL it registers one skipped
 * test saying so (no MongoDB server can run on the build machine) and returns null.
 */
export function mongoIndexStores(suite: string): (() => Promise<MongoIndexStore>) | null {
  const url = process.env.MONGO_URL;
  if (!url) {
    void test.skip(`MongoDB ${suite} skipped: MONGO_URL not set (no MongoDB server on this build machine)`, () => {});
    return null;
  }
  const databases: string[] = [];
  const opened: MongoIndexStore[] = [];
  after(async () => {
    // Suites whose stores have no close() of their own leave the connection to us.
    for (const index of opened) await index.close();
    const connection = await mongoose.createConnection(url).asPromise();
    try {
      for (const name of databases) await connection.useDb(name).dropDatabase();
    } finally {
      await connection.close();
    }
  });
  return async () => {
    const dbName = `gbvms_test_${process.pid}_${databases.length + 1}`;
    databases.push(dbName);
    const index = new MongoIndexStore({ url, dbName, logger: silentLogger() });
    opened.push(index);
    await index.init();
    return index;
  };
}
