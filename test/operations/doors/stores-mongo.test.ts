import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { MongoAuditStore } from '../../../src/operations/audit/store-mongo';
import { MongoDoorRecordStore } from '../../../src/operations/doors/store-mongo';
import { MongoFaultStore } from '../../../src/operations/faults/store-mongo';
import { MongoWatchlistStore } from '../../../src/operations/watchlist/store-mongo';
import { runOperationsStoresContract } from './stores.contract';

const url = process.env.MONGO_URL;

if (url) {
  // Each test gets its own database; all are dropped at the end.
  const connections: mongoose.Connection[] = [];
  after(async () => {
    for (const c of connections) {
      await c.dropDatabase();
      await c.close();
    }
  });
  runOperationsStoresContract('MongoDB', async () => {
    const connection = await mongoose.createConnection(url, { dbName: `gbvms_ops_test_${process.pid}_${connections.length + 1}` }).asPromise();
    connections.push(connection);
    const stores = { faults: new MongoFaultStore(connection), doors: new MongoDoorRecordStore(connection), watchlist: new MongoWatchlistStore(connection), audit: new MongoAuditStore(connection) };
    for (const s of Object.values(stores)) await s.init();
    return stores;
  });
} else {
  void test.skip('MongoDB operations stores contract skipped: MONGO_URL not set (no MongoDB server on this build machine)', () => {});
}
