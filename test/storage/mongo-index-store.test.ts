import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { silentLogger } from '../../src/logger';
import { MongoIndexStore } from '../../src/storage/mongo/index-store';
import { runIndexStoreContract } from './index-store.contract';

const url = process.env.MONGO_URL;

if (url) {
  // Each store gets its own database on the server; all of them are dropped at the end.
  const databases: string[] = [];
  after(async () => {
    const connection = await mongoose.createConnection(url).asPromise();
    try {
      for (const name of databases) await connection.useDb(name).dropDatabase();
    } finally {
      await connection.close();
    }
  });
  runIndexStoreContract('MongoDB', async () => {
    const dbName = `gbvms_test_${process.pid}_${databases.length + 1}`;
    databases.push(dbName);
    return new MongoIndexStore({ url, dbName, logger: silentLogger() });
  });
} else {
  void test.skip('MongoDB contract suite skipped: MONGO_URL not set (no MongoDB server on this build machine)', () => {});
}
