import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WriteBatcher } from '../../src/storage/sqlite/write-batcher';

function recorder(linger?: { afterBatchOf: number; withinMs: number; ms: number }): { batcher: WriteBatcher<number, number>; batches: number[][] } {
  const batches: number[][] = [];
  const batcher = new WriteBatcher<number, number>({
    runBatch: (items) => {
      batches.push([...items]);
      return items.map((i) => i * 10);
    },
    runOne: (i) => i * 10,
    maxBatch: 100,
    ...(linger ? { linger } : {}),
  });
  return { batcher, batches };
}

void describe('write batcher', () => {
  void test('writes submitted in one turn commit together and each caller gets its result', async () => {
    const { batcher, batches } = recorder();
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    assert.deepEqual(results, [10, 20, 30]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  void test('a failing batch falls back to one write at a time, so only the bad write fails', async () => {
    const batcher = new WriteBatcher<number, number>({
      runBatch: () => {
        throw new Error('constraint');
      },
      runOne: (i) => {
        if (i === 2) throw new Error('bad row');
        return i;
      },
      maxBatch: 100,
    });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  void test('under load the next batch waits for more writes (group commit)', async () => {
    const { batcher, batches } = recorder({ afterBatchOf: 4, withinMs: 50, ms: 20 });
    await Promise.all([1, 2, 3, 4].map((i) => batcher.submit(i)));
    const started = performance.now();
    const later: Promise<number>[] = [batcher.submit(5)];
    await sleep(5);
    later.push(batcher.submit(6));
    assert.deepEqual(await Promise.all(later), [50, 60]);
    const waited = performance.now() - started;
    assert.deepEqual(batches, [[1, 2, 3, 4], [5, 6]], 'writes 5 ms apart share one commit');
    assert.ok(waited >= 15, `the batch lingered (${waited.toFixed(1)} ms)`);
  });

  void test('a caller that awaits one write at a time never waits for a linger', async () => {
    const { batcher, batches } = recorder({ afterBatchOf: 4, withinMs: 50, ms: 200 });
    const started = performance.now();
    for (let i = 0; i < 20; i++) await batcher.submit(i);
    assert.equal(batches.length, 20);
    assert.ok(performance.now() - started < 150, 'twenty sequential writes take turns, not lingers');
  });

  void test('after a quiet spell a write is committed in the next turn again', async () => {
    const { batcher, batches } = recorder({ afterBatchOf: 2, withinMs: 30, ms: 500 });
    await Promise.all([1, 2].map((i) => batcher.submit(i)));
    await sleep(60);
    const started = performance.now();
    await batcher.submit(3);
    assert.ok(performance.now() - started < 100, 'no linger once the load has passed');
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  void test('flush() writes a lingering batch at once (a read sees its own write)', async () => {
    const { batcher, batches } = recorder({ afterBatchOf: 1, withinMs: 1000, ms: 10_000 });
    await batcher.submit(1);
    const pending = batcher.submit(2);
    assert.equal(batcher.size, 1);
    batcher.flush();
    assert.equal(await pending, 20);
    assert.deepEqual(batches, [[1], [2]]);
  });
});
