import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Snapshot, SnapshotStore } from '../../src/snapshots/types';

function snap(id: string, channelId: string, time: number, extra: Partial<Snapshot> = {}): Snapshot {
  return { id, channelId, deviceId: '34020000001180000001', time, source: 'stream', bytes: 1000, width: 640, height: 360, path: `${channelId}/x/${id}.jpg`, sessionId: null, fileId: null, ...extra };
}

/** What every SnapshotStore adapter must do; `open` gives a fresh, initialised store and its cleanup. */
export function runSnapshotStoreContract(name: string, open: () => Promise<{ store: SnapshotStore; close: () => Promise<void> }>): void {
  describe(`snapshot store contract: ${name}`, () => {
    const A = '34020000001310000001';
    const B = '34020000001310000002';

    test('a stored snapshot reads back whole, and an unknown ID is null', async () => {
      const { store, close } = await open();
      try {
        const s = snap('k1-000000000001', A, 1000, { source: 'device', sessionId: 'sess', fileId: 'f1', width: null, height: null });
        await store.add(s);
        assert.deepEqual(await store.get(s.id), s);
        assert.equal(await store.get('nope'), null);
      } finally {
        await close();
      }
    });

    test("a channel's list is newest first, bounded by from/to (inclusive) and limit, and other channels stay out", async () => {
      const { store, close } = await open();
      try {
        for (let i = 1; i <= 5; i++) await store.add(snap(`a${i}-000000000000`, A, i * 1000));
        await store.add(snap('b1-000000000000', B, 3000));
        assert.deepEqual((await store.list({ channelId: A, limit: 10 })).map((s) => s.time), [5000, 4000, 3000, 2000, 1000]);
        assert.deepEqual((await store.list({ channelId: A, from: 2000, to: 4000, limit: 10 })).map((s) => s.time), [4000, 3000, 2000]);
        assert.deepEqual((await store.list({ channelId: A, limit: 2 })).map((s) => s.time), [5000, 4000]);
        assert.deepEqual((await store.list({ channelId: B, limit: 10 })).map((s) => s.id), ['b1-000000000000']);
      } finally {
        await close();
      }
    });

    test('removeOlderThan takes the oldest first, at most limit, and returns what it removed', async () => {
      const { store, close } = await open();
      try {
        for (let i = 1; i <= 5; i++) await store.add(snap(`o${i}-000000000000`, i % 2 ? A : B, i * 1000));
        const removed = await store.removeOlderThan(4500, 2);
        assert.deepEqual(removed.map((s) => s.time), [1000, 2000]);
        assert.deepEqual((await store.removeOlderThan(4500, 10)).map((s) => s.time), [3000, 4000]);
        assert.equal(await store.get('o1-000000000000'), null);
        assert.equal((await store.list({ channelId: A, limit: 10 })).length, 1);
      } finally {
        await close();
      }
    });

    test('trimChannel keeps the newest of one channel only', async () => {
      const { store, close } = await open();
      try {
        for (let i = 1; i <= 4; i++) await store.add(snap(`t${i}-000000000000`, A, i * 1000));
        await store.add(snap('u1-000000000000', B, 500));
        const removed = await store.trimChannel(A, 2);
        assert.deepEqual(removed.map((s) => s.time).sort(), [1000, 2000]);
        assert.deepEqual((await store.list({ channelId: A, limit: 10 })).map((s) => s.time), [4000, 3000]);
        assert.equal((await store.list({ channelId: B, limit: 10 })).length, 1);
        assert.deepEqual(await store.trimChannel(A, 5), []);
      } finally {
        await close();
      }
    });
  });
}
