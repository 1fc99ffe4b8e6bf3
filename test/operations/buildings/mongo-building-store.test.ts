import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { silentLogger } from '../../../src/logger';
import { MongoBuildingStore } from '../../../src/operations/buildings/mongo-store';
import { MongoMaintenanceStore } from '../../../src/operations/maintenance/mongo-store';
import { MongoIndexStore } from '../../../src/storage/mongo/index-store';
import { runBuildingStoreContract } from './building-store.contract';

const url = process.env.MONGO_URL;

if (url) {
  const dbName = `gbvms_test_buildings_${process.pid}`;
  after(async () => {
    const connection = await mongoose.createConnection(url).asPromise();
    try {
      await connection.useDb(dbName).dropDatabase();
    } finally {
      await connection.close();
    }
  });
  runBuildingStoreContract('MongoDB', async () => {
    const index = new MongoIndexStore({ url, dbName, logger: silentLogger() });
    await index.init();
    const connection = index.mongoConnection();
    return { buildings: new MongoBuildingStore(connection), maintenance: new MongoMaintenanceStore(connection), close: () => index.close() };
  });
} else {
  void test.skip('MongoDB building store contract skipped: MONGO_URL not set (no MongoDB server on this build machine)', () => {});
}
