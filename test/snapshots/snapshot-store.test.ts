import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { mongoIndexStores } from '../helpers/mongo';
import { silentLogger } from '../../src/logger';
import { createSnapshotStore } from '../../src/snapshots/create-store';
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
  const store = await createSnapshotStore(index);
  await store.init();
  return { store, close: () => index.close() };
});

const mongo = mongoIndexStores('snapshot store contract');
if (mongo) {
  runSnapshotStoreContract('MongoDB', async () => {
    const index = await mongo();
    const store = await createSnapshotStore(index);
    await store.init();
    return { store, close: () => index.close() };
  });
}
