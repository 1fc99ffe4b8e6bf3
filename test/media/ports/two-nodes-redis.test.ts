import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/logger';
import { RedisStateStore } from '../../../src/storage/redis/state-store';
import { MediaPortPool, MediaPortsExhaustedError, SsrcAllocator, checkPortBindable } from '../../../src/media/ports';
import type { MediaPortLease, SsrcLease } from '../../../src/media/ports';
import { startRedisServer, type RedisServerHandle } from '../../helpers/redis';

// 400 even ports below Linux's ephemeral range (32768-60999), apart from the other port tests.
const MIN = 24_000;
const MAX = 24_798;

let redis: RedisServerHandle;
let nodeA: RedisStateStore;
let nodeB: RedisStateStore;

before(async () => {
  redis = await startRedisServer();
  nodeA = new RedisStateStore({ url: redis.url, logger: silentLogger(), keyPrefix: 'ports-test:' });
  nodeB = new RedisStateStore({ url: redis.url, logger: silentLogger(), keyPrefix: 'ports-test:' });
  await nodeA.init();
  await nodeB.init();
});

after(async () => {
  await nodeA?.close();
  await nodeB?.close();
  await redis?.stop();
});

function poolOn(state: RedisStateStore, nodeId: string, ttlMs = 30_000): MediaPortPool {
  return new MediaPortPool({ state, nodeId, host: '127.0.0.1', range: { min: MIN, max: MAX }, leaseTtlMs: ttlMs });
}

test('two nodes on one Redis asking for 200 ports each at once over 400 ports never get the same port', async () => {
  let unbindable = 0;
  for (let port = MIN; port <= MAX; port += 2) if (!(await checkPortBindable('127.0.0.1', port)).ok) unbindable++;
  const a = poolOn(nodeA, 'node-a');
  const b = poolOn(nodeB, 'node-b');
  const settled = await Promise.allSettled([
    ...Array.from({ length: 200 }, (_, i) => a.acquire(`a-${i}`)),
    ...Array.from({ length: 200 }, (_, i) => b.acquire(`b-${i}`)),
  ]);
  const leases: MediaPortLease[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') leases.push(s.value);
    else assert.ok(s.reason instanceof MediaPortsExhaustedError, String(s.reason));
  }
  const ports = leases.map((l) => l.port);
  assert.equal(new Set(ports).size, ports.length, 'a port was handed out twice');
  assert.equal(ports.length, 400 - unbindable);
  assert.ok(ports.every((p) => p % 2 === 0 && p >= MIN && p <= MAX));
  await assert.rejects(a.acquire('late'), MediaPortsExhaustedError);
  await Promise.all(leases.map((l) => l.release()));
});

test('a port released by one node can be taken by the other', async () => {
  const a = new MediaPortPool({ state: nodeA, nodeId: 'node-a', host: '127.0.0.1', range: { min: MIN, max: MIN }, leaseTtlMs: 30_000 });
  const b = new MediaPortPool({ state: nodeB, nodeId: 'node-b', host: '127.0.0.1', range: { min: MIN, max: MIN }, leaseTtlMs: 30_000 });
  const held = await a.acquire('call-1');
  await assert.rejects(b.acquire('call-2'), MediaPortsExhaustedError);
  await held.release();
  const taken = await b.acquire('call-2');
  assert.equal(taken.port, MIN);
  await taken.release();
});

test('the lease of a node that died expires in Redis and the other node takes the port', async () => {
  const dead = new MediaPortPool({ state: nodeA, nodeId: 'node-a', host: '127.0.0.1', range: { min: MIN, max: MIN }, leaseTtlMs: 100 });
  const b = new MediaPortPool({ state: nodeB, nodeId: 'node-b', host: '127.0.0.1', range: { min: MIN, max: MIN }, leaseTtlMs: 30_000 });
  await dead.acquire('call-1');
  await assert.rejects(b.acquire('call-2'), MediaPortsExhaustedError);
  await new Promise((r) => setTimeout(r, 200));
  const taken = await b.acquire('call-2');
  assert.equal(taken.port, MIN);
  await taken.release();
});

test('two nodes allocating SSRCs in one realm at once never share one', async () => {
  const a = new SsrcAllocator({ state: nodeA, nodeId: 'node-a', leaseTtlMs: 30_000 });
  const b = new SsrcAllocator({ state: nodeB, nodeId: 'node-b', leaseTtlMs: 30_000 });
  const leases: SsrcLease[] = await Promise.all([
    ...Array.from({ length: 300 }, (_, i) => a.acquire('history', '20000', `a-${i}`)),
    ...Array.from({ length: 300 }, (_, i) => b.acquire('history', '20000', `b-${i}`)),
  ]);
  const ssrcs = leases.map((l) => l.ssrc);
  assert.equal(new Set(ssrcs).size, 600);
  assert.ok(ssrcs.every((s) => /^120000\d{4}$/.test(s)));
  await Promise.all(leases.map((l) => l.release()));
});
