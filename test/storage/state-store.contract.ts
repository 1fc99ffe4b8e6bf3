/**
 * The behaviour every StateStore adapter must show. An adapter's test file calls
 * runStateStoreContract with a factory that returns a new store on empty state, not yet
 * initialized: each test calls init() on its own store and closes it at the end.
 * Expiry is checked with real time and short TTLs (tens of milliseconds), as Redis keeps time itself.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Registration, StateStore } from '../../src/storage/ports';
import { REGISTRATION_GRACE_MS } from '../../src/storage/registration-retention';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deviceId(n: number): string {
  return `3402000000132${String(n).padStart(7, '0')}`;
}

export function registration(id: string, fields: Partial<Registration> = {}): Registration {
  const now = Date.now();
  return {
    deviceId: id,
    transport: 'udp',
    address: '192.0.2.7',
    port: 5060,
    contact: `<sip:${id}@192.0.2.7:5060>`,
    callId: `call-${id}@192.0.2.7`,
    registeredAt: now,
    expiresAt: now + 3_600_000,
    lastSeenAt: now,
    nodeId: 'node-a',
    ...fields,
  };
}

export function runStateStoreContract(name: string, makeStore: () => Promise<StateStore>): void {
  async function open(t: TestContext): Promise<StateStore> {
    const store = await makeStore();
    await store.init();
    t.after(() => store.close());
    return store;
  }

  void describe(`StateStore contract: ${name}`, () => {
    void describe('registrations', () => {
      void test('a registration is stored, read back, counted and deleted', async (t) => {
        const store = await open(t);
        assert.equal(await store.countRegistrations(), 0);
        const a = registration(deviceId(1), { transport: 'tcp', contact: '<sip:摄像机@192.0.2.7:5060;transport=tcp>' });
        const b = registration(deviceId(2), { nodeId: 'node-b' });
        await store.putRegistration(a);
        await store.putRegistration(b);
        assert.deepEqual(await store.getRegistration(a.deviceId), a);
        assert.deepEqual(await store.getRegistration(b.deviceId), b);
        assert.equal(await store.countRegistrations(), 2);
        await store.deleteRegistration(a.deviceId);
        assert.equal(await store.getRegistration(a.deviceId), null);
        assert.equal(await store.countRegistrations(), 1);
        await store.deleteRegistration(a.deviceId);
        assert.equal(await store.countRegistrations(), 1, 'deleting twice is harmless');
        assert.equal(await store.getRegistration(deviceId(3)), null);
      });

      void test('a new REGISTER replaces the previous registration', async (t) => {
        const store = await open(t);
        await store.putRegistration(registration(deviceId(1), { callId: 'old', port: 5060 }));
        const renewed = registration(deviceId(1), { callId: 'new', port: 5070, nodeId: 'node-b' });
        await store.putRegistration(renewed);
        assert.deepEqual(await store.getRegistration(deviceId(1)), renewed);
        assert.equal(await store.countRegistrations(), 1);
      });

      void test('touch moves lastSeenAt, and the address when the device came from a new one', async (t) => {
        const store = await open(t);
        const original = registration(deviceId(1));
        await store.putRegistration(original);
        await store.touchRegistration(deviceId(1), original.lastSeenAt + 60_000);
        assert.deepEqual(await store.getRegistration(deviceId(1)), { ...original, lastSeenAt: original.lastSeenAt + 60_000 });
        await store.touchRegistration(deviceId(1), original.lastSeenAt + 120_000, { transport: 'tcp', address: '198.51.100.9', port: 40001 });
        assert.deepEqual(await store.getRegistration(deviceId(1)), {
          ...original,
          lastSeenAt: original.lastSeenAt + 120_000,
          transport: 'tcp',
          address: '198.51.100.9',
          port: 40001,
        });
      });

      void test('touching a device that is not registered does nothing', async (t) => {
        const store = await open(t);
        await store.touchRegistration(deviceId(9), Date.now(), { transport: 'udp', address: '192.0.2.1', port: 5060 });
        assert.equal(await store.getRegistration(deviceId(9)), null);
        assert.equal(await store.countRegistrations(), 0);
      });

      void test('a registration long past its expiry (beyond the grace period) is not kept', async (t) => {
        const store = await open(t);
        const stale = registration(deviceId(1), { expiresAt: Date.now() - REGISTRATION_GRACE_MS - 1000 });
        await store.putRegistration(stale);
        assert.equal(await store.getRegistration(deviceId(1)), null);
        assert.equal(await store.countRegistrations(), 0);
        const justExpired = registration(deviceId(2), { expiresAt: Date.now() - 1000 });
        await store.putRegistration(justExpired);
        assert.deepEqual(await store.getRegistration(deviceId(2)), justExpired, 'kept during the grace period');
      });
    });

    void describe('liveness deadlines', () => {
      void test('takeExpired returns the devices whose deadline is <= now, each once', async (t) => {
        const store = await open(t);
        await store.setDeadline(deviceId(1), 1000);
        await store.setDeadline(deviceId(2), 2000);
        await store.setDeadline(deviceId(3), 3000);
        assert.deepEqual(await store.takeExpired(999, 10), []);
        assert.deepEqual(await store.takeExpired(2000, 10), [deviceId(1), deviceId(2)], 'a deadline equal to now has expired');
        assert.deepEqual(await store.takeExpired(2000, 10), [], 'each device is taken once');
        assert.deepEqual(await store.takeExpired(10_000, 10), [deviceId(3)]);
        assert.deepEqual(await store.takeExpired(10_000, 10), []);
      });

      void test('setDeadline replaces the previous deadline, later or earlier', async (t) => {
        const store = await open(t);
        await store.setDeadline(deviceId(1), 1000);
        await store.setDeadline(deviceId(1), 5000); // a keepalive pushed it back
        await store.setDeadline(deviceId(2), 9000);
        await store.setDeadline(deviceId(2), 2000); // an earlier registration expiry
        assert.deepEqual(await store.takeExpired(3000, 10), [deviceId(2)]);
        assert.deepEqual(await store.takeExpired(6000, 10), [deviceId(1)]);
        assert.deepEqual(await store.takeExpired(100_000, 10), []);
      });

      void test('clearDeadline removes the deadline', async (t) => {
        const store = await open(t);
        await store.setDeadline(deviceId(1), 1000);
        await store.setDeadline(deviceId(2), 1000);
        await store.clearDeadline(deviceId(1));
        await store.clearDeadline(deviceId(7)); // unknown: harmless
        assert.deepEqual(await store.takeExpired(5000, 10), [deviceId(2)]);
        await store.setDeadline(deviceId(1), 6000);
        assert.deepEqual(await store.takeExpired(6000, 10), [deviceId(1)], 'a cleared device can get a deadline again');
      });

      void test('takeExpired respects the limit and leaves the rest for the next call', async (t) => {
        const store = await open(t);
        for (let i = 0; i < 25; i++) await store.setDeadline(deviceId(i), 1000 + i);
        await store.setDeadline(deviceId(99), 50_000);
        assert.deepEqual(await store.takeExpired(10_000, 0), []);
        const first = await store.takeExpired(10_000, 10);
        const second = await store.takeExpired(10_000, 10);
        const third = await store.takeExpired(10_000, 10);
        assert.deepEqual(first, Array.from({ length: 10 }, (_, i) => deviceId(i)), 'earliest deadlines first');
        assert.equal(second.length, 10);
        assert.equal(third.length, 5);
        assert.deepEqual(new Set([...first, ...second, ...third]), new Set(Array.from({ length: 25 }, (_, i) => deviceId(i))));
        assert.deepEqual(await store.takeExpired(10_000, 10), []);
      });
    });

    void describe('ephemeral values and counters', () => {
      void test('an ephemeral value is read back until it is deleted', async (t) => {
        const store = await open(t);
        await store.putEphemeral('invite:abc', '{"ssrc":"0100000001"}', 60_000);
        assert.equal(await store.getEphemeral('invite:abc'), '{"ssrc":"0100000001"}');
        await store.putEphemeral('invite:abc', '第二', 60_000);
        assert.equal(await store.getEphemeral('invite:abc'), '第二', 'put replaces');
        await store.deleteEphemeral('invite:abc');
        assert.equal(await store.getEphemeral('invite:abc'), null);
        assert.equal(await store.getEphemeral('never-set'), null);
      });

      void test('an ephemeral value disappears after its TTL', async (t) => {
        const store = await open(t);
        await store.putEphemeral('short', 'v', 60);
        await store.putEphemeral('long', 'v', 60_000);
        assert.equal(await store.getEphemeral('short'), 'v');
        await sleep(150);
        assert.equal(await store.getEphemeral('short'), null);
        assert.equal(await store.getEphemeral('long'), 'v');
      });

      void test('increment counts up and restarts once the TTL from the first increment has passed', async (t) => {
        const store = await open(t);
        assert.equal(await store.increment('auth-fail:192.0.2.7', 250), 1);
        assert.equal(await store.increment('auth-fail:192.0.2.7', 250), 2);
        assert.equal(await store.increment('auth-fail:198.51.100.1', 250), 1, 'keys count separately');
        await sleep(100);
        assert.equal(await store.increment('auth-fail:192.0.2.7', 250), 3, 'later increments do not extend the TTL');
        await sleep(250);
        assert.equal(await store.increment('auth-fail:192.0.2.7', 250), 1);
      });

      void test('ephemeral values, counters and leases with the same key do not collide', async (t) => {
        const store = await open(t);
        await store.putEphemeral('k', 'value', 60_000);
        assert.equal(await store.increment('k', 60_000), 1);
        assert.equal(await store.acquireLease('k', 'owner', 60_000), true);
        assert.equal(await store.getEphemeral('k'), 'value');
      });
    });

    void describe('leases', () => {
      void test('a lease is exclusive between owners; its owner may take it again', async (t) => {
        const store = await open(t);
        assert.equal(await store.acquireLease('port:30000', 'node-a', 60_000), true);
        assert.equal(await store.acquireLease('port:30000', 'node-b', 60_000), false);
        assert.equal(await store.acquireLease('port:30000', 'node-a', 60_000), true, 'same owner re-acquires');
        assert.equal(await store.acquireLease('port:30002', 'node-b', 60_000), true, 'other keys are free');
      });

      void test('release by another owner is ignored; release by the owner frees the lease', async (t) => {
        const store = await open(t);
        await store.acquireLease('ssrc:0100000001', 'node-a', 60_000);
        await store.releaseLease('ssrc:0100000001', 'node-b');
        assert.equal(await store.acquireLease('ssrc:0100000001', 'node-b', 60_000), false);
        await store.releaseLease('ssrc:0100000001', 'node-a');
        assert.equal(await store.acquireLease('ssrc:0100000001', 'node-b', 60_000), true);
        await store.releaseLease('never-leased', 'node-a');
      });

      void test('a lease expires after its TTL and another owner can take it', async (t) => {
        const store = await open(t);
        assert.equal(await store.acquireLease('session:1', 'node-a', 80), true);
        assert.equal(await store.acquireLease('session:1', 'node-b', 80), false);
        await sleep(160);
        assert.equal(await store.acquireLease('session:1', 'node-b', 60_000), true);
        assert.equal(await store.acquireLease('session:1', 'node-a', 60_000), false);
      });

      void test("re-acquiring renews the owner's TTL", async (t) => {
        const store = await open(t);
        assert.equal(await store.acquireLease('session:2', 'node-a', 300), true);
        await sleep(200);
        const renewedAt = Date.now();
        assert.equal(await store.acquireLease('session:2', 'node-a', 300), true);
        await sleep(Math.max(0, renewedAt + 150 - Date.now()));
        assert.equal(await store.acquireLease('session:2', 'node-b', 300), false, 'still held: the TTL restarted');
        await sleep(Math.max(0, renewedAt + 400 - Date.now()));
        assert.equal(await store.acquireLease('session:2', 'node-b', 300), true);
      });

      void test('concurrent acquirers: exactly one wins', async (t) => {
        const store = await open(t);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.acquireLease('port:31000', `owner-${i}`, 60_000)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });
    });

    void describe('online state', () => {
      void test('swapOnline returns the previous flag (null the first time); forgetOnline clears it', async (t) => {
        const store = await open(t);
        const id = '34020000001320000001';
        assert.equal(await store.getOnline(id), null);
        assert.equal(await store.swapOnline(id, true), null);
        assert.equal(await store.swapOnline(id, true), true);
        assert.equal(await store.swapOnline(id, false), true);
        assert.equal(await store.getOnline(id), false);
        await store.forgetOnline(id);
        assert.equal(await store.getOnline(id), null);
      });

      void test('of many concurrent swaps to online, exactly one sees the device offline', async (t) => {
        const store = await open(t);
        const id = '34020000001320000002';
        await store.swapOnline(id, false);
        const previous = await Promise.all(Array.from({ length: 20 }, () => store.swapOnline(id, true)));
        assert.equal(previous.filter((p) => p === false).length, 1);
      });
    });

    void test('close() is idempotent', async () => {
      const store = await makeStore();
      await store.init();
      await store.putEphemeral('k', 'v', 1000);
      await store.close();
      await store.close();
    });
  });
}
