import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mongoose from 'mongoose';
import { silentLogger } from '../../src/logger';
import { createSnapshotStore } from '../../src/snapshots/create-store';
import { MongoIndexStore } from '../../src/storage/mongo/index-store';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import { runSnapshotStoreContract } from './snapshot-store.contract';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runSnapshotStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gbvms-snapshots-'));
  dirs.push(dir);
  const index = new SqliteIndexStore({ path: join(dir, 'index.sqlite'), logger: silentLogger() });
  await index.init();
  const store = createSnapshotStore(index);
  await store.init();
  return { store, close: () => index.close() };
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
  runSnapshotStoreContract('MongoDB', async () => {
    const dbName = `gbvms_snap_test_${process.pid}_${databases.length + 1}`;
    databases.push(dbName);
    const index = new MongoIndexStore({ url, dbName, logger: silentLogger() });
    await index.init();
    const store = createSnapshotStore(index);
    await store.init();
    return { store, close: () => index.close() };
  });
} else {
  void test.skip('MongoDB snapshot store contract skipped: MONGO_URL not set (no MongoDB server on this build machine)', () => {});
}
