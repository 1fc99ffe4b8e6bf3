import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createIndexStore, createStateStore } from '../../src/storage/factory';
import { MongoIndexStore } from '../../src/storage/mongo/index-store';

const dir = mkdtempSync(join(tmpdir(), 'gbvms-factory-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('storage factory', () => {
  void test('without MONGO_URL the index is the SQLite file at the given path', async () => {
    const store = await createIndexStore({ mongoUrl: undefined, sqlitePath: join(dir, 'index.sqlite'), logger: silentLogger() });
    assert.equal(store.kind, 'sqlite');
    await store.init();
    await store.upsertDevice('34020000001320000001', {});
    await store.close();
  });

  void test('with MONGO_URL the index is MongoDB (nothing is connected before init)', async () => {
    const store = await createIndexStore({ mongoUrl: 'mongodb://127.0.0.1:1/gbvms', sqlitePath: join(dir, 'unused.sqlite'), logger: silentLogger() });
    assert.equal(store.kind, 'mongodb');
    await store.close();
  });

  void test('without REDIS_URL state is in-process; with it, Redis (nothing is connected before init)', async () => {
    const memory = await createStateStore({ logger: silentLogger() });
    assert.equal(memory.kind, 'memory');
    await memory.init();
    await memory.close();
    const redis = await createStateStore({ redisUrl: 'redis://127.0.0.1:1', logger: silentLogger() });
    assert.equal(redis.kind, 'redis');
    await redis.close();
  });
});

void test('the MongoDB index store fails to start with a clear error when no server answers', async () => {
  const store = new MongoIndexStore({ url: 'mongodb://127.0.0.1:1/gbvms', serverSelectionTimeoutMs: 300, logger: silentLogger() });
  await assert.rejects(store.init(), /cannot open MongoDB index store/);
  await store.close();
});
