/**
 * Contract of the alarm/position store and the webhook store: every adapter (SQLite, MongoDB)
 * passes the same tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AlarmRecord, AlarmStore, PositionRecord } from '../../src/alarms/store/port';
import { EMPTY_DELIVERY_STATS, type StoredWebhook, type WebhookStore } from '../../src/events/store/port';

export interface EventStores {
  alarms: AlarmStore;
  webhooks: WebhookStore;
  close(): Promise<void>;
}

const DEV = '34020000001320000001';
const NVR = '34020000001180000001';
const CH = '34020000001310000001';

function alarm(n: number, overrides: Partial<AlarmRecord> = {}): AlarmRecord {
  return {
    id: `al${String(n).padStart(9, '0')}00000000`,
    deviceId: DEV,
    sourceId: DEV,
    priority: 1 + (n % 4),
    method: 5,
    type: n % 3,
    eventType: null,
    time: 1_700_000_000_000 + n * 1000,
    timeText: '2023-11-15T06:13:20',
    description: `alarm ${n}`,
    longitude: 116.5,
    latitude: null,
    extraInfo: n % 2 === 0 ? ['a', 'b'] : [],
    sn: n,
    via: n % 2 === 0 ? 'message' : 'notify',
    receivedAt: 1_700_000_000_500 + n * 1000,
    ...overrides,
  };
}

function position(deviceId: string, reporterId: string, time: number, lon = 116): PositionRecord {
  return { deviceId, reporterId, time, longitude: lon, latitude: 39.5, speed: null, direction: 90, altitude: null, receivedAt: time + 10 };
}

export function runEventStoresContract(name: string, open: () => Promise<EventStores>): void {
  describe(`event stores contract: ${name}`, () => {
    let stores: EventStores;
    before(async () => {
      stores = await open();
      await stores.alarms.init();
      await stores.webhooks.init();
    });
    after(async () => {
      await stores.close();
    });

    test('an alarm reads back exactly as stored; an unknown id is null', async () => {
      const a = alarm(1, { description: '周界入侵', extraInfo: ['zone=1', 'x'], eventType: 2, latitude: 39.9 });
      await stores.alarms.addAlarm(a);
      assert.deepEqual(await stores.alarms.getAlarm(a.id), a);
      assert.equal(await stores.alarms.getAlarm('al-none'), null);
    });

    test('alarms list newest first, filtered by device or source, type, priority, method and time, paged with a total', async () => {
      for (let n = 2; n <= 12; n++) await stores.alarms.addAlarm(alarm(n, n > 9 ? { deviceId: NVR, sourceId: CH } : {}));
      const all = await stores.alarms.listAlarms({ offset: 0, limit: 100 });
      assert.equal(all.total, 12);
      assert.deepEqual(all.items.map((a) => a.sn), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      const page = await stores.alarms.listAlarms({ offset: 2, limit: 3 });
      assert.equal(page.total, 12);
      assert.deepEqual(page.items.map((a) => a.sn), [10, 9, 8]);
      assert.deepEqual((await stores.alarms.listAlarms({ deviceId: NVR, offset: 0, limit: 10 })).items.map((a) => a.sn), [12, 11, 10]);
      assert.deepEqual((await stores.alarms.listAlarms({ deviceId: CH, offset: 0, limit: 10 })).items.map((a) => a.sn), [12, 11, 10], 'by alarm source');
      assert.deepEqual((await stores.alarms.listAlarms({ type: 0, offset: 0, limit: 10 })).items.map((a) => a.sn), [12, 9, 6, 3]);
      assert.deepEqual((await stores.alarms.listAlarms({ priority: 2, method: 5, offset: 0, limit: 10 })).items.map((a) => a.sn), [9, 5, 1]);
      const t = (n: number) => 1_700_000_000_000 + n * 1000;
      const window = await stores.alarms.listAlarms({ from: t(3), to: t(6), offset: 0, limit: 10 });
      assert.deepEqual(window.items.map((a) => a.sn), [5, 4, 3], 'from inclusive, to exclusive');
      assert.equal(window.total, 3);
      assert.equal((await stores.alarms.listAlarms({ deviceId: '34020000001320009999', offset: 0, limit: 10 })).total, 0);
    });

    test('a duplicate alarm id is refused', async () => {
      await assert.rejects(stores.alarms.addAlarm(alarm(1)));
    });

    test('positions come back oldest first for the device and for what it reported, within [from, to), limited', async () => {
      const t = 1_710_000_000_000;
      await stores.alarms.addPositions([position(DEV, DEV, t + 2000, 116.2), position(DEV, DEV, t, 116.0), position(DEV, DEV, t + 1000, 116.1), position(CH, NVR, t + 500), position(CH, NVR, t + 1500)]);
      await stores.alarms.addPositions([]);
      const own = await stores.alarms.listPositions({ deviceId: DEV, from: t, to: t + 10_000, limit: 100 });
      assert.deepEqual(own.map((p) => p.longitude), [116.0, 116.1, 116.2]);
      assert.deepEqual(own[0], position(DEV, DEV, t, 116.0));
      assert.deepEqual((await stores.alarms.listPositions({ deviceId: DEV, from: t + 1, to: t + 2000, limit: 100 })).map((p) => p.time), [t + 1000]);
      assert.equal((await stores.alarms.listPositions({ deviceId: DEV, from: t, to: t + 10_000, limit: 2 })).length, 2);
      assert.deepEqual((await stores.alarms.listPositions({ deviceId: NVR, from: t, to: t + 10_000, limit: 100 })).map((p) => p.time), [t + 500, t + 1500], 'a reporter sees what it reported');
      assert.deepEqual((await stores.alarms.listPositions({ deviceId: CH, from: t, to: t + 10_000, limit: 100 })).length, 2);
      const same = position(DEV, DEV, t + 5000);
      await stores.alarms.addPositions([same, same]);
      assert.equal((await stores.alarms.listPositions({ deviceId: DEV, from: t + 5000, to: t + 5001, limit: 100 })).length, 2, 'identical reports are both kept');
    });

    test('prune deletes alarms and positions older than a time', async () => {
      const removed = await stores.alarms.prune(1_700_000_000_000 + 4 * 1000);
      assert.equal(removed, 3);
      assert.equal((await stores.alarms.listAlarms({ offset: 0, limit: 100 })).total, 9);
      assert.ok((await stores.alarms.prune(1_710_000_000_000 + 1000)) >= 10);
      assert.equal((await stores.alarms.listPositions({ deviceId: DEV, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 })).length, 4);
    });

    test('webhooks: create, list oldest first, get, save the delivery log, delete', async () => {
      const hook = (n: number): StoredWebhook => ({
        id: `wh_${String(n).padStart(24, '0')}`,
        url: `http://127.0.0.1:9/hook${n}`,
        topics: n === 1 ? [] : ['alarm.*', 'fault.opened'],
        secret: `secret-${n}-0123456789abcdef`,
        createdAt: 1000 + n,
        delivery: { ...EMPTY_DELIVERY_STATS },
      });
      await stores.webhooks.create(hook(2));
      await stores.webhooks.create(hook(1));
      await assert.rejects(stores.webhooks.create(hook(1)), 'a duplicate id is refused');
      assert.deepEqual((await stores.webhooks.list()).map((h) => h.id), [hook(1).id, hook(2).id]);
      assert.deepEqual(await stores.webhooks.get(hook(2).id), hook(2));
      const stats = { delivered: 3, failed: 1, consecutiveFailures: 2, lastStatus: 500, lastError: 'HTTP 500', lastAttemptAt: 5000, lastSuccessAt: 4000 };
      await stores.webhooks.saveDelivery(hook(2).id, stats);
      await stores.webhooks.saveDelivery('wh_unknown', stats);
      assert.deepEqual((await stores.webhooks.get(hook(2).id))?.delivery, stats);
      assert.equal(await stores.webhooks.delete(hook(2).id), true);
      assert.equal(await stores.webhooks.delete(hook(2).id), false);
      assert.equal(await stores.webhooks.get(hook(2).id), null);
      assert.deepEqual((await stores.webhooks.list()).map((h) => h.id), [hook(1).id]);
    });
  });
}
