import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createSnapshotStore } from '../../src/snapshots/create-store';
import { SnapshotFiles, snapshotPath } from '../../src/snapshots/snapshot-files';
import { SnapshotService, type SnapshotServiceDeps } from '../../src/snapshots/snapshot-service';
import type { Snapshot } from '../../src/snapshots/types';
import { SqliteIndexStore } from '../../src/storage/sqlite/index-store';

const dir = mkdtempSync(join(tmpdir(), 'gbvms-snap-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the retention sweep deletes rows and files older than retentionDays, and keeps the rest', async () => {
  const index = new SqliteIndexStore({ path: join(dir, 'index.sqlite'), logger: silentLogger() });
  await index.init();
  try {
    const store = await createSnapshotStore(index);
    await store.init();
    const files = new SnapshotFiles(join(dir, 'snapshots'));
    const service = new SnapshotService({ store, files, logger: silentLogger() } as unknown as SnapshotServiceDeps, {
      defaultMode: 'stream',
      deviceTimeoutMs: 1000,
      streamTimeoutMs: 1000,
      maxUploadBytes: 1024,
      retentionDays: 2,
      maxPerChannel: 0,
      sweepIntervalSec: 3600,
      ffmpegPath: 'ffmpeg',
    });
    const now = Date.UTC(2026, 0, 10);
    const day = 86_400_000;
    const made: Snapshot[] = [];
    for (const [i, age] of [5, 3, 1, 0].entries()) {
      const id = `t${i}-00000000000${i}`;
      const time = now - age * day - 1;
      const s: Snapshot = { id, channelId: '34020000001310000001', deviceId: '34020000001310000001', time, source: 'stream', bytes: 3, width: null, height: null, path: snapshotPath('34020000001310000001', id, time), sessionId: null, fileId: null };
      await files.write(s.path, Buffer.from([0xff, 0xd8, 0xff]));
      await store.add(s);
      made.push(s);
    }
    assert.equal(await service.sweep(now), 2);
    assert.deepEqual((await store.list({ channelId: '34020000001310000001', limit: 10 })).map((s) => s.id), [made[3]?.id, made[2]?.id]);
    assert.deepEqual(made.map((s) => existsSync(files.absolute(s.path))), [false, false, true, true]);
    assert.throws(() => files.absolute('../../etc/passwd'), /outside/);
    service.close();
  } finally {
    await index.close();
  }
});
