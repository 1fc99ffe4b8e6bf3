import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/logger';
import { MemoryStateStore } from '../../../src/storage/memory/state-store';
import { SsrcAllocator, SsrcExhaustedError, ssrcRealmDigits } from '../../../src/media/ports';
import type { SsrcLease } from '../../../src/media/ports';

let state: MemoryStateStore;
before(async () => {
  state = new MemoryStateStore({ logger: silentLogger() });
  await state.init();
});
after(async () => {
  await state.close();
});

describe('SsrcAllocator', () => {
  test('a live SSRC is 0, the 5 realm digits and a 4-digit stream number; history starts with 1', async () => {
    const ssrcs = new SsrcAllocator({ state, nodeId: 'n1', leaseTtlMs: 30_000 });
    const live = await ssrcs.acquire('live', '02000', 'call-1');
    const history = await ssrcs.acquire('history', '02000', 'call-2');
    assert.match(live.ssrc, /^002000\d{4}$/);
    assert.match(history.ssrc, /^102000\d{4}$/);
    assert.notEqual(live.ssrc.slice(6), '0000');
    assert.ok(Number(history.ssrc) < 2 ** 32);
    await live.release();
    await history.release();
  });

  test('the realm of a SIP domain ID is its 4th to 8th digits', () => {
    assert.equal(ssrcRealmDigits('34020000002000000001'), '20000');
    assert.throws(() => ssrcRealmDigits('34a'), RangeError);
  });

  test('no SSRC is handed out twice while leased, across allocators of different nodes', async () => {
    const a = new SsrcAllocator({ state, nodeId: 'n1', leaseTtlMs: 30_000 });
    const b = new SsrcAllocator({ state, nodeId: 'n2', leaseTtlMs: 30_000 });
    const leases = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).acquire('live', '11111', 'same-owner')));
    assert.equal(new Set(leases.map((l) => l.ssrc)).size, 1000);
    await Promise.all(leases.map((l) => l.release()));
  });

  test('all 9,999 stream numbers in use gives SsrcExhaustedError; a release makes one available', async () => {
    const ssrcs = new SsrcAllocator({ state, nodeId: 'n1', leaseTtlMs: 30_000 });
    const leases: SsrcLease[] = [];
    for (let i = 0; i < 9999; i++) leases.push(await ssrcs.acquire('history', '54321', `call-${i}`));
    const numbers = leases.map((l) => Number(l.ssrc.slice(6))).sort((x, y) => x - y);
    assert.equal(numbers[0], 1);
    assert.equal(numbers[9998], 9999);
    await assert.rejects(ssrcs.acquire('history', '54321', 'late'), (err: unknown) => {
      assert.ok(err instanceof SsrcExhaustedError);
      assert.equal(err.httpStatus, 503);
      return true;
    });
    // Other kinds and realms are separate number spaces.
    const live = await ssrcs.acquire('live', '54321', 'other-kind');
    const freed = leases[1234];
    assert.ok(freed);
    await freed.release();
    assert.equal((await ssrcs.acquire('history', '54321', 'again')).ssrc, freed.ssrc);
    await live.release();
  });

  test('an expired SSRC lease can be taken again', async () => {
    const ssrcs = new SsrcAllocator({ state, nodeId: 'n1', leaseTtlMs: 50, random: () => 0 });
    const first = await ssrcs.acquire('live', '77777', 'call-1');
    assert.equal(first.ssrc, '0777770001');
    await new Promise((r) => setTimeout(r, 100));
    const fresh = new SsrcAllocator({ state, nodeId: 'n2', leaseTtlMs: 30_000, random: () => 0 });
    assert.equal((await fresh.acquire('live', '77777', 'call-2')).ssrc, '0777770001');
  });

  test('a realm that is not 5 digits is refused', async () => {
    const ssrcs = new SsrcAllocator({ state, nodeId: 'n1', leaseTtlMs: 30_000 });
    await assert.rejects(ssrcs.acquire('live', '1234', 'x'), RangeError);
    await assert.rejects(ssrcs.acquire('live', '12a45', 'x'), RangeError);
  });
});
