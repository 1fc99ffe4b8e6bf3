/**
 * LaneKeepalives with the real native reader (over loopback) and a real DevicePresence: what the
 * lane answered is handed to the router with its time, the sweep collects first, an offline
 * transition revokes the device, and drops of the reader are reported.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { LaneKeepalives } from '../../../src/sip/device/lane-keepalives';
import { DevicePresence } from '../../../src/sip/device/presence';
import { MemoryStateStore } from '../../../src/storage/memory/state-store';
import { SqliteIndexStore } from '../../../src/storage/sqlite/index-store';
import { DEVICE_ID, floodWhileBusy, keepalive, LaneHarness } from '../transport/lane-harness';

void describe('lane keepalives', () => {
  void test('recorded through the router, before each sweep; offline revokes; reader drops reported', async (t) => {
    const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
    await index.init();
    const state = new MemoryStateStore({ logger: silentLogger() });
    const h = await LaneHarness.open();
    t.after(async () => {
      await h.close();
      await index.close();
      await state.close();
    });
    const presence = new DevicePresence(index, state, silentLogger(), { keepaliveTimeoutMs: 180_000, sweepIntervalMs: 3_600_000 });
    const recorded: Array<{ deviceId: string; at: number }> = [];
    const router = { laneKeepalive: async (deviceId: string, at: number) => void recorded.push({ deviceId, at }) };
    const counted: number[] = [];
    const dropped: number[] = [];
    const lane = new LaneKeepalives(h.endpoint, router, presence, silentLogger(), {
      intervalMs: 3_600_000, // collected by hand (and by the sweep) in this test
      count: (n) => counted.push(n),
      dropped: (n) => dropped.push(n),
    });
    lane.start();

    h.admit();
    const sent = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await h.exchange(keepalive({ cseq: `${20 + i} MESSAGE` }))).kind, 'answered');
    assert.equal(await lane.collect(), 1, 'one record per device per collection');
    assert.equal(recorded[0]?.deviceId, DEVICE_ID);
    assert.ok(recorded[0]!.at >= sent - 5 && recorded[0]!.at <= Date.now() + 5);
    assert.deepEqual(counted, [1]);

    // The sweep collects before it looks at deadlines.
    assert.equal((await h.exchange(keepalive({ cseq: '30 MESSAGE' }))).kind, 'answered');
    await presence.sweep(Date.now());
    assert.equal(recorded.length, 2);

    // An offline transition takes the device out of the lane: its next keepalive goes to the stack.
    await state.swapOnline(DEVICE_ID, true);
    await presence.markOffline(DEVICE_ID, 'keepalive-timeout', Date.now());
    assert.equal((await h.exchange(keepalive({ cseq: '31 MESSAGE' }))).kind, 'forwarded');

    // JavaScript stalled under a flood: the reader's drops are reported at the next collection.
    await floodWhileBusy(h.endpoint.port);
    await lane.collect();
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0], h.endpoint.stats().dropped);
    assert.ok(dropped[0]! > 0);

    await lane.stop();
    assert.equal((await h.exchange(keepalive({ cseq: '32 MESSAGE' }))).kind, 'forwarded');
  });
});
