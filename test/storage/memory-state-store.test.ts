import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { DeadlineQueue } from '../../src/storage/memory/deadline-queue';
import { MemoryStateStore } from '../../src/storage/memory/state-store';
import { runStateStoreContract } from './state-store.contract';
import { seededRandom as prng } from '../helpers/random';

runStateStoreContract('in-process maps', async () => new MemoryStateStore({ logger: silentLogger() }));


void describe('in-process deadlines at 30,000 devices', () => {
  void test('random sets, replacements and clears take exactly what a plain map says has expired', () => {
    const random = prng(28181);
    const queue = new DeadlineQueue();
    const model = new Map<string, number>();
    const ids = Array.from({ length: 30_000 }, (_, i) => `3402000000132${String(i).padStart(7, '0')}`);
    let now = 0;
    for (let step = 0; step < 100; step++) {
      // Keepalives push deadlines back; some devices unregister; time moves on.
      for (let k = 0; k < 1000; k++) {
        const id = ids[Math.floor(random() * ids.length)]!;
        if (random() < 0.05) {
          queue.clear(id);
          model.delete(id);
        } else {
          const at = now + Math.floor(random() * 5000);
          queue.set(id, at);
          model.set(id, at);
        }
      }
      now += 200;
      const limit = 1 + Math.floor(random() * 400);
      const taken = queue.takeExpired(now, limit);
      let dueCount = 0;
      for (const at of model.values()) if (at <= now) dueCount += 1;
      assert.equal(taken.length, Math.min(limit, dueCount), `step ${step}`);
      assert.equal(new Set(taken).size, taken.length, 'no device twice');
      let latestTaken = -Infinity;
      for (const id of taken) {
        const at = model.get(id);
        assert.ok(at !== undefined && at <= now, `step ${step}: ${id} was not due`);
        latestTaken = Math.max(latestTaken, at);
        model.delete(id);
      }
      // Earliest first: whatever is still due was due no earlier than the last one taken.
      for (const at of model.values()) if (at <= now) assert.ok(at >= latestTaken, `step ${step}: an earlier deadline was left`);
      assert.equal(queue.size, model.size);
    }
  });

  void test('taking a few expired devices out of 30,000 is fast', () => {
    const queue = new DeadlineQueue();
    for (let i = 0; i < 30_000; i++) queue.set(`d${i}`, 1_000_000 + i);
    for (let i = 0; i < 30_000; i++) queue.set(`d${i}`, 2_000_000 + i); // every deadline replaced once
    const start = performance.now();
    let taken = 0;
    for (let round = 0; round < 300; round++) taken += queue.takeExpired(2_000_000 + round * 100 + 99, 100).length;
    const elapsed = performance.now() - start;
    assert.equal(taken, 30_000);
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });
});

void describe('in-process sweep', () => {
  void test('the periodic sweep drops expired entries nobody reads again', async (t) => {
    const store = new MemoryStateStore({ logger: silentLogger(), sweepIntervalMs: 20 });
    await store.init();
    t.after(() => store.close());
    await store.putEphemeral('a', 'v', 10);
    await store.increment('b', 10);
    await store.acquireLease('c', 'owner', 10);
    const maps = store as unknown as { ephemeral: Map<string, unknown>; counters: Map<string, unknown>; leases: Map<string, unknown> };
    assert.equal(maps.ephemeral.size + maps.counters.size + maps.leases.size, 3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(maps.ephemeral.size + maps.counters.size + maps.leases.size, 0);
  });
});
