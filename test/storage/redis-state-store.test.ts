import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { REGISTRATION_GRACE_MS } from '../../src/storage/registration-retention';
import { RedisStateStore } from '../../src/storage/redis/state-store';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis';
import { registration, runStateStoreContract } from './state-store.contract';

let server: RedisServerHandle;
let prefixes = 0;
/** Each store gets its own key prefix: the same server, but empty state. */
const freshPrefix = () => `gbvms-test-${process.pid}-${++prefixes}:`;

before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server?.stop();
});

runStateStoreContract('Redis', async () => new RedisStateStore({ url: server.url, keyPrefix: freshPrefix(), logger: silentLogger() }));

/** Two stores on one server and one key prefix: two signaling nodes sharing state. */
async function twoNodes(t: TestContext): Promise<[RedisStateStore, RedisStateStore]> {
  const keyPrefix = freshPrefix();
  const nodes = [0, 1].map(() => new RedisStateStore({ url: server.url, keyPrefix, logger: silentLogger() })) as [RedisStateStore, RedisStateStore];
  await Promise.all(nodes.map((n) => n.init()));
  t.after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
  });
  return nodes;
}

void describe('Redis state store across nodes', () => {
  void test('two nodes taking expired devices at once never both take the same device', async (t) => {
    const [nodeA, nodeB] = await twoNodes(t);
    const ids = Array.from({ length: 1000 }, (_, i) => `3402000000132${String(i).padStart(7, '0')}`);
    await Promise.all(ids.map((id, i) => (i % 2 === 0 ? nodeA : nodeB).setDeadline(id, 1_000_000 + i)));
    await nodeA.setDeadline('34020000001329999999', 9_000_000); // not yet due: nobody takes it

    const drain = async (node: RedisStateStore): Promise<string[]> => {
      const taken: string[] = [];
      // Bounded: a take that does not remove would otherwise loop forever.
      for (let round = 0; round < 200; round++) {
        // Several calls in flight from the same node as well, as a busy sweeper would have.
        const batches = await Promise.all([node.takeExpired(5_000_000, 7), node.takeExpired(5_000_000, 13)]);
        if (batches.every((b) => b.length === 0)) return taken;
        for (const b of batches) taken.push(...b);
      }
      throw new Error('expired devices were still being returned after 200 rounds');
    };
    const [fromA, fromB] = await Promise.all([drain(nodeA), drain(nodeB)]);
    const all = [...fromA, ...fromB];
    assert.equal(all.length, 1000, 'no device taken twice');
    assert.deepEqual(new Set(all), new Set(ids), 'every expired device taken');
    assert.ok(fromA.length > 0 && fromB.length > 0, `both nodes took part (${fromA.length}/${fromB.length})`);
    assert.deepEqual(await nodeB.takeExpired(10_000_000, 10), ['34020000001329999999']);
  });

  void test('two nodes seeing the same device come online record the transition once', async (t) => {
    const [nodeA, nodeB] = await twoNodes(t);
    const ids = Array.from({ length: 200 }, (_, i) => `3402000000132${String(i).padStart(7, '0')}`);
    await Promise.all(ids.map((id) => nodeA.swapOnline(id, false)));
    const [a, b] = await Promise.all([Promise.all(ids.map((id) => nodeA.swapOnline(id, true))), Promise.all(ids.map((id) => nodeB.swapOnline(id, true)))]);
    ids.forEach((id, i) => assert.equal([a[i], b[i]].filter((p) => p === false).length, 1, id));
  });

  void test('a registration written by one node is read, touched and counted by another', async (t) => {
    const [nodeA, nodeB] = await twoNodes(t);
    const r = registration('34020000001320000001', { nodeId: 'node-a' });
    await nodeA.putRegistration(r);
    await nodeB.touchRegistration(r.deviceId, r.lastSeenAt + 1000);
    assert.deepEqual(await nodeA.getRegistration(r.deviceId), { ...r, lastSeenAt: r.lastSeenAt + 1000 });
    assert.equal(await nodeB.countRegistrations(), 1);
    assert.equal(await nodeB.acquireLease('port:30000', 'node-b', 60_000), true);
    assert.equal(await nodeA.acquireLease('port:30000', 'node-a', 60_000), false);
  });
});

void describe('Redis state store keys', () => {
  let raw: Redis;
  before(() => {
    raw = new Redis(server.url);
  });
  after(async () => {
    await raw.quit();
  });

  void test('keys live under the prefix and a registration expires a grace period after expiresAt', async (t) => {
    const keyPrefix = freshPrefix();
    const store = new RedisStateStore({ url: server.url, keyPrefix, logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    const r = registration('34020000001320000001', { expiresAt: Date.now() + 120_000 });
    await store.putRegistration(r);
    await store.setDeadline(r.deviceId, r.expiresAt);
    await store.putEphemeral('e', 'v', 60_000);
    const keys = (await raw.keys(`${keyPrefix}*`)).sort();
    assert.deepEqual(keys, [`${keyPrefix}deadlines`, `${keyPrefix}eph:e`, `${keyPrefix}reg-index`, `${keyPrefix}reg:${r.deviceId}`]);
    const pttl = await raw.pttl(`${keyPrefix}reg:${r.deviceId}`);
    const expected = 120_000 + REGISTRATION_GRACE_MS;
    assert.ok(pttl > expected - 5000 && pttl <= expected, `PTTL ${pttl}`);
    await store.touchRegistration(r.deviceId, Date.now());
    assert.ok((await raw.pttl(`${keyPrefix}reg:${r.deviceId}`)) > expected - 5000, 'touch keeps the TTL');
  });

  void test('stores with different prefixes do not see each other', async (t) => {
    const a = new RedisStateStore({ url: server.url, keyPrefix: freshPrefix(), logger: silentLogger() });
    const b = new RedisStateStore({ url: server.url, keyPrefix: freshPrefix(), logger: silentLogger() });
    await a.init();
    await b.init();
    t.after(async () => {
      await a.close();
      await b.close();
    });
    await a.putRegistration(registration('34020000001320000001'));
    await a.setDeadline('34020000001320000001', 1);
    assert.equal(await b.getRegistration('34020000001320000001'), null);
    assert.equal(await b.countRegistrations(), 0);
    assert.deepEqual(await b.takeExpired(Date.now(), 10), []);
    assert.equal(await b.acquireLease('x', 'b', 60_000), true);
    assert.equal(await a.acquireLease('x', 'a', 60_000), true);
  });

  void test('scripts still run after the server forgot them (SCRIPT FLUSH, as after a restart)', async (t) => {
    const store = new RedisStateStore({ url: server.url, keyPrefix: freshPrefix(), logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    await store.setDeadline('34020000001320000001', 1);
    assert.equal(await store.increment('c', 60_000), 1);
    await raw.script('FLUSH');
    assert.deepEqual(await store.takeExpired(2, 10), ['34020000001320000001']);
    assert.equal(await store.increment('c', 60_000), 2);
  });

  void test('a malformed registration hash reads as not registered', async (t) => {
    const keyPrefix = freshPrefix();
    const store = new RedisStateStore({ url: server.url, keyPrefix, logger: silentLogger() });
    await store.init();
    t.after(() => store.close());
    await raw.hset(`${keyPrefix}reg:34020000001320000001`, { transport: 'sctp', address: '192.0.2.1' });
    assert.equal(await store.getRegistration('34020000001320000001'), null);
  });

  void test('init fails with a clear error when Redis cannot be reached', async () => {
    const closedPort = Number(new URL(server.url).port) === 1 ? 2 : 1; // port 1 on loopback: nothing listens there
    const store = new RedisStateStore({ url: `redis://127.0.0.1:${closedPort}`, logger: silentLogger() });
    await assert.rejects(store.init(), /cannot reach Redis state store/);
    await store.close();
  });
});
