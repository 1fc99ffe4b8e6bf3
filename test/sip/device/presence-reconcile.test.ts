import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/logger';
import { DevicePresence } from '../../../src/sip/device/presence';
import { MemoryStateStore } from '../../../src/storage/memory/state-store';
import { SqliteIndexStore } from '../../../src/storage/sqlite/index-store';

const id = (i: number): string => `3402000000132${String(i).padStart(7, '0')}`;

void describe('presence at start', () => {
  void test('2,500 devices the index calls online: those without a registration go offline, page by page, once each', async (t) => {
    const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await index.init();
    const state = new MemoryStateStore({ logger: silentLogger() });
    t.after(async () => {
      await index.close();
      await state.close();
    });
    const now = Date.now();
    await Promise.all(Array.from({ length: 2500 }, (_, i) => index.upsertDevice(id(i), { online: true })));
    // Every third device kept its registration (a Redis state store survives a restart).
    for (let i = 0; i < 2500; i += 3) {
      await state.putRegistration({
        deviceId: id(i), transport: 'udp', address: '127.0.0.1', port: 5060, contact: '', callId: `c${i}`,
        registeredAt: now - 1000, expiresAt: now + 3_600_000, lastSeenAt: now - 1000, nodeId: 'n1',
      });
    }
    const presence = new DevicePresence(index, state, silentLogger(), { keepaliveTimeoutMs: 180_000, sweepIntervalMs: 60_000 });
    const offline: string[] = [];
    presence.on('offline', (deviceId, reason) => {
      assert.equal(reason, 'server-restart');
      offline.push(deviceId);
    });

    const changed = await presence.reconcileAtStart(now);

    const kept = Math.ceil(2500 / 3);
    assert.equal(changed, 2500 - kept);
    assert.equal(new Set(offline).size, 2500 - kept, 'each device went offline once');
    assert.equal((await index.listDevices({ online: true, offset: 0, limit: 1 })).total, kept);
    assert.equal((await index.getDevice(id(3)))?.online, true, 'a registered device stays online');
    assert.equal((await index.getDevice(id(4)))?.online, false);
    const events = await index.listDeviceEvents({ type: 'offline', from: 0, to: now + 1, limit: 5000 });
    assert.equal(events.length, 2500 - kept, 'one offline event per device');
    assert.equal(await presence.reconcileAtStart(now), 0, 'a second pass finds nothing to do');
  });
});
