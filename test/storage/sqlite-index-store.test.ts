import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/logger';
import { migrate, MIGRATIONS } from '../../src/storage/sqlite/migrations';
import { OVERLAP_WHERE } from '../../src/storage/sqlite/recording-index';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';
import type { RecordingSegment } from '../../src/storage/types';
import { runIndexStoreContract } from './index-store.contract';

const dir = mkdtempSync(join(tmpdir(), 'gbvms-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `index-${++files}.sqlite`);

runIndexStoreContract('SQLite (:memory:)', async () => new SqliteIndexStore({ path: ':memory:', logger: silentLogger() }));
runIndexStoreContract('SQLite (file, WAL)', async () => new SqliteIndexStore({ path: freshPath(), logger: silentLogger() }));

void describe('SQLite known device IDs (reads of absent devices skip the query)', () => {
  void test('devices stored before the open are found; deleted ones are gone; re-created ones are back', async (t) => {
    const path = freshPath();
    const first = new SqliteIndexStore({ path, logger: silentLogger() });
    await first.init();
    await first.upsertDevice('34020000001320000011', { name: 'before' });
    await first.close();

    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    assert.equal((await store.getDevice('34020000001320000011'))?.name, 'before', 'IDs are read at open');
    assert.equal(await store.getDevice('34020000001320000012'), null);
    await store.upsertDevice('34020000001320000012', { name: 'new' });
    assert.equal((await store.getDevice('34020000001320000012'))?.name, 'new');
    assert.equal(await store.deleteDevice('34020000001320000011'), true);
    assert.equal(await store.getDevice('34020000001320000011'), null);
    await store.upsertDevice('34020000001320000011', { name: 'again' });
    assert.equal((await store.getDevice('34020000001320000011'))?.name, 'again');
  });
});

void describe('SQLite write batching', () => {
  void test('upserts made in the same tick commit together, in call order', async (t) => {
    const store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const id = '34020000001320000001';
    const other = '34020000001320000002';
    const writes = [
      store.upsertDevice(id, { name: 'first', remotePort: 1 }),
      store.upsertDevice(id, { remotePort: 2 }),
      store.upsertDevice(other, { name: 'other' }),
      store.upsertDevice(id, { name: 'third' }),
    ];
    // A read of a device with nothing pending does not force the batch out.
    assert.equal(await store.getDevice('34020000001320000003'), null);
    assert.equal((await store.listDevices({ offset: 0, limit: 10 })).total, 2, 'a list read flushes the batch first');
    await Promise.all(writes);
    const device = await store.getDevice(id);
    assert.deepEqual([device?.name, device?.remotePort], ['third', 2]);
  });

  void test('a read of a device with a pending upsert sees it', async (t) => {
    const store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const pending = store.upsertDevice('34020000001320000001', { name: 'gate' });
    assert.equal((await store.getDevice('34020000001320000001'))?.name, 'gate');
    await pending;
  });

  void test('a read right after an unawaited upsert sees it', async (t) => {
    const store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const pending = store.upsertDevice('34020000001320000001', { online: true });
    assert.equal((await store.listDevices({ online: true, offset: 0, limit: 10 })).total, 1);
    await pending;
  });

  void test('close() writes pending upserts before closing the file', async () => {
    const path = freshPath();
    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await store.init();
    const pending = Array.from({ length: 50 }, (_, i) => store.upsertDevice(`3402000000132${String(i).padStart(7, '0')}`, {}));
    await store.close();
    await Promise.all(pending);
    const reopened = new SqliteIndexStore({ path, logger: silentLogger() });
    await reopened.init();
    assert.equal((await reopened.listDevices({ offset: 0, limit: 1 })).total, 50);
    await reopened.close();
  });

  void test('one failing upsert in a batch fails alone', async (t) => {
    const store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const results = await Promise.allSettled([
      store.upsertDevice('34020000001320000001', { name: 'ok' }),
      // A NOT NULL column set to null by a caller that ignores the types.
      store.upsertDevice('34020000001320000002', { typeCode: null as unknown as string }),
      store.upsertDevice('34020000001320000003', { name: 'also ok' }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((await store.listDevices({ offset: 0, limit: 10 })).total, 2);
  });
});

void describe('SQLite index store on disk', () => {
  void test('a new database file is created with its folder, in WAL mode, at the newest schema version', async () => {
    const path = join(dir, 'nested', 'deeper', 'index.sqlite');
    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await store.init();
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
      assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  void test('reopening keeps the data and runs no migration twice', async () => {
    const path = freshPath();
    const first = new SqliteIndexStore({ path, logger: silentLogger() });
    await first.init();
    await first.upsertDevice('34020000001320000001', { name: '东门' });
    await first.close();
    const second = new SqliteIndexStore({ path, logger: silentLogger() });
    await second.init();
    try {
      assert.equal((await second.getDevice('34020000001320000001'))!.name, '东门');
    } finally {
      await second.close();
    }
    const db = new Database(path, { readonly: true });
    const count = db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number };
    db.close();
    assert.equal(count.n, MIGRATIONS.length);
  });

  void test('a database written by a newer build is refused', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, appliedAt INTEGER NOT NULL)');
    db.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(999, 'from the future', 0);
    db.close();
    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await assert.rejects(store.init(), /schema version 999 is newer/);
    await store.close();
  });

  void test('writes that resolved survive a kill -9 of the writing process', async () => {
    const path = freshPath();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sqlite-crash-writer.ts'), path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer did not commit in time: ${stderr}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes('committed')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it get busy with more writes
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(existsSync(`${path}-wal`), 'the WAL file is left behind, as after a real crash');

    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await store.init();
    try {
      const cameras = await store.listDevices({ typeCode: '132', keyword: '摄像机', offset: 0, limit: 1000 });
      assert.equal(cameras.total, 200);
      const nvr = await store.getDevice('34020000001180000001');
      assert.equal(nvr!.channelCount, 256);
      assert.equal((await store.listChannels({ deviceId: '34020000001180000001', offset: 0, limit: 1 })).total, 256);
      assert.equal((await store.listDeviceEvents({ from: 0, to: 2, limit: 10 })).length, 1);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });
});

void describe('SQLite recording index', () => {
  const segment = (channelId: string, minute: number): RecordingSegment => ({
    id: `${channelId}-${minute}`,
    channelId,
    deviceId: '34020000001180000001',
    start: minute * 60_000,
    end: (minute + 1) * 60_000 - 40,
    path: `${channelId}/1970-01-01/${minute}.ts`,
    bytes: 1000,
    videoCodec: 'h264',
    audioCodec: null,
    width: null,
    height: null,
    locked: false,
    createdAt: 0,
  });

  void test('the overlap query is a bounded range scan of the (channelId, start) index, reading no table rows', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, silentLogger());
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT count(*), sum(bytes) FROM recording_segments WHERE ${OVERLAP_WHERE}`)
        .all({ channelId: 'c', from: 0, to: 1 }) as { detail: string }[];
      assert.match(
        plan.map((p) => p.detail).join(' | '),
        /SEARCH recording_segments USING COVERING INDEX recording_segments_channel_start \(channelId=\? AND start>\? AND start<\?\)/,
      );
    } finally {
      db.close();
    }
  });

  void test('a read right after an unawaited add sees it; adds of several channels in one turn all land', async (t) => {
    const store = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const channels = Array.from({ length: 20 }, (_, i) => `3402000000131${String(i).padStart(7, '0')}`);
    const adds = channels.map((c) => store.addRecordingSegments([segment(c, 0)]));
    assert.deepEqual(await store.recordingTotals(), { segments: 20, bytes: 20_000 });
    await Promise.all(adds);
    const pending = store.addRecordingSegments([segment(channels[0]!, 1)]);
    assert.equal((await store.listRecordingSegments({ channelId: channels[0]!, from: 0, to: 120_000 })).length, 2);
    await pending;
  });

  void test('a database of the first schema version gains the recording tables and keeps its devices', async () => {
    const path = freshPath();
    const db = new Database(path);
    migrate(db, silentLogger(), MIGRATIONS.filter((m) => m.version === 1));
    db.close();
    const before = new SqliteIndexStore({ path, logger: silentLogger() });
    await before.init();
    await before.upsertDevice('34020000001320000001', { name: 'gate' });
    await before.close();

    const store = new SqliteIndexStore({ path, logger: silentLogger() });
    await store.init();
    try {
      assert.equal((await store.getDevice('34020000001320000001'))!.name, 'gate');
      await store.addRecordingSegments([segment('34020000001310000001', 5)]);
      assert.equal((await store.recordingCoverage({ channelId: '34020000001310000001', from: 0, to: 600_000 })).segments, 1);
    } finally {
      await store.close();
    }
  });
});
