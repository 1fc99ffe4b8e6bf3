/**
 * The behaviour every IndexStore adapter must show. An adapter's test file calls
 * runIndexStoreContract with a factory that returns a new store on empty storage, not yet
 * initialized: each test calls init() on its own store and closes it at the end.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { IndexStore } from '../../src/storage/ports';
import type { ChannelUpdate, DeviceEvent } from '../../src/storage/types';
import { describeRecordingContract, describeRecordingPlanContract } from './index-store-recordings.contract';

const IPC = '34020000001320000001';
const NVR = '34020000001180000001';
const OTHER_NVR = '34020000001180000002';

function deviceId(n: number, type = '132'): string {
  return `3402000000${type}${String(n).padStart(7, '0')}`;
}

function channelId(n: number, type = '131'): string {
  return `3402000000${type}${String(n).padStart(7, '0')}`;
}

export function channelUpdate(id: string, fields: Partial<ChannelUpdate> = {}): ChannelUpdate {
  return {
    channelId: id,
    name: `通道 ${id.slice(-4)}`,
    manufacturer: 'Hikvision',
    model: 'DS-2CD2T47',
    owner: 'Owner',
    civilCode: '340200',
    block: null,
    address: '一号楼 东门',
    parental: false,
    parentId: NVR,
    businessGroupId: null,
    registerWay: 1,
    secrecy: 0,
    ipAddress: '192.0.2.10',
    port: 8000,
    status: 'ON',
    longitude: 118.08,
    latitude: 24.48,
    ptzType: 1,
    typeCode: id.slice(10, 13),
    ...fields,
  };
}

export function runIndexStoreContract(name: string, makeStore: () => Promise<IndexStore>): void {
  async function open(t: TestContext): Promise<IndexStore> {
    const store = await makeStore();
    await store.init();
    t.after(() => store.close());
    return store;
  }

  void describe(`IndexStore contract: ${name}`, () => {
    void describe('devices', () => {
      void test('a new device gets defaults: type from its ID, offline, udp, no channels', async (t) => {
        const store = await open(t);
        const before = Date.now();
        await store.upsertDevice(IPC, {});
        const device = (await store.getDevice(IPC))!;
        const after = Date.now();
        assert.equal(device.deviceId, IPC);
        assert.equal(device.typeCode, '132');
        assert.equal(device.gbVersion, 'unknown');
        assert.equal(device.online, false);
        assert.equal(device.transport, 'udp');
        assert.equal(device.channelCount, 0);
        for (const field of ['name', 'manufacturer', 'model', 'firmware', 'charset', 'password', 'remoteAddress', 'remotePort', 'contact', 'expires', 'registeredAt', 'lastKeepaliveAt'] as const) {
          assert.equal(device[field], null, field);
        }
        assert.ok(device.createdAt >= before && device.createdAt <= after);
        assert.equal(device.updatedAt, device.createdAt);
        assert.deepEqual(await store.getDevice(IPC), device);
      });

      void test('upserting a known device merges the given fields and keeps the others', async (t) => {
        const store = await open(t);
        await store.upsertDevice(IPC, { name: 'Gate', manufacturer: 'Hikvision', charset: 'GB2312' });
        const created = (await store.getDevice(IPC))!;
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.upsertDevice(IPC, {
          online: true,
          transport: 'tcp',
          remoteAddress: '10.1.2.3',
          remotePort: 5061,
          gbVersion: '2022',
          charset: null,
          name: undefined,
        });
        const merged = (await store.getDevice(IPC))!;
        assert.equal(merged.name, 'Gate', 'an undefined field leaves the stored value');
        assert.equal(merged.manufacturer, 'Hikvision');
        assert.equal(merged.charset, null, 'null clears a field');
        assert.equal(merged.online, true);
        assert.equal(merged.transport, 'tcp');
        assert.equal(merged.remoteAddress, '10.1.2.3');
        assert.equal(merged.remotePort, 5061);
        assert.equal(merged.gbVersion, '2022');
        assert.equal(merged.createdAt, created.createdAt);
        assert.ok(merged.updatedAt > created.updatedAt);
        assert.deepEqual(await store.getDevice(IPC), merged);
      });

      void test('an explicit typeCode and channelCount are stored as given', async (t) => {
        const store = await open(t);
        await store.upsertDevice(IPC, { typeCode: '200', channelCount: 7 });
        const device = (await store.getDevice(IPC))!;
        assert.equal(device.typeCode, '200');
        assert.equal(device.channelCount, 7);
      });

      void test('getDevice of an unknown ID is null', async (t) => {
        const store = await open(t);
        assert.equal(await store.getDevice(IPC), null);
      });

      void test('a storm of concurrent upserts of different devices all land', async (t) => {
        const store = await open(t);
        await Promise.all(Array.from({ length: 300 }, (_, i) => store.upsertDevice(deviceId(i), { online: true, remotePort: i })));
        const stored = await Promise.all(Array.from({ length: 300 }, (_, i) => store.getDevice(deviceId(i))));
        assert.deepEqual(stored.map((d) => d?.remotePort), Array.from({ length: 300 }, (_, i) => i));
        const page = await store.listDevices({ online: true, offset: 0, limit: 1000 });
        assert.equal(page.total, 300);
        assert.equal((await store.getDevice(deviceId(299)))!.remotePort, 299);
      });

      void test('listDevices filters by online and type, pages in ID order and reports the total', async (t) => {
        const store = await open(t);
        for (let i = 0; i < 30; i++) {
          await store.upsertDevice(deviceId(i, i % 3 === 0 ? '118' : '132'), { online: i % 2 === 0 });
        }
        const all = await store.listDevices({ offset: 0, limit: 100 });
        assert.equal(all.total, 30);
        assert.deepEqual(
          all.items.map((d) => d.deviceId),
          all.items.map((d) => d.deviceId).sort(),
        );
        const online = await store.listDevices({ online: true, offset: 0, limit: 100 });
        assert.equal(online.total, 15);
        assert.ok(online.items.every((d) => d.online));
        const offline = await store.listDevices({ online: false, offset: 0, limit: 100 });
        assert.equal(offline.total, 15);
        const nvrs = await store.listDevices({ typeCode: '118', offset: 0, limit: 100 });
        assert.equal(nvrs.total, 10);
        assert.ok(nvrs.items.every((d) => d.typeCode === '118'));
        const onlineNvrs = await store.listDevices({ typeCode: '118', online: true, offset: 0, limit: 100 });
        assert.equal(onlineNvrs.total, 5, 'i = 0, 6, 12, 18, 24');

        const pages = [];
        for (let offset = 0; offset < 30; offset += 7) {
          const page = await store.listDevices({ offset, limit: 7 });
          assert.equal(page.total, 30);
          pages.push(...page.items.map((d) => d.deviceId));
        }
        assert.deepEqual(pages, all.items.map((d) => d.deviceId));
        const beyond = await store.listDevices({ offset: 40, limit: 10 });
        assert.deepEqual(beyond, { items: [], total: 30 });
      });

      void test('keyword search matches ID, name, manufacturer or model, ignores case and takes % and _ literally', async (t) => {
        const store = await open(t);
        await store.upsertDevice(deviceId(1), { name: '东门摄像机', manufacturer: 'Hikvision' });
        await store.upsertDevice(deviceId(2), { name: 'West gate', manufacturer: 'Dahua', model: 'DH_IPC' });
        await store.upsertDevice(deviceId(3), { name: '100% coverage', model: 'DHIPC' });
        await store.upsertDevice(deviceId(444, '118'), { name: null });
        const ids = async (keyword: string) =>
          (await store.listDevices({ keyword, offset: 0, limit: 100 })).items.map((d) => d.deviceId);
        assert.deepEqual(await ids('东门'), [deviceId(1)]);
        assert.deepEqual(await ids('hikVISION'), [deviceId(1)]);
        assert.deepEqual(await ids('WEST'), [deviceId(2)]);
        assert.deepEqual(await ids('_'), [deviceId(2)], '_ is not a wildcard');
        assert.deepEqual(await ids('%'), [deviceId(3)], '% is not a wildcard');
        assert.deepEqual(await ids('dhipc'), [deviceId(3)]);
        assert.deepEqual(await ids('1180000444'), [deviceId(444, '118')], 'matches inside the ID');
        assert.deepEqual(await ids('.*'), [], 'not a regular expression');
        assert.deepEqual(await ids('nothing-like-this'), []);
        const combined = await store.listDevices({ keyword: 'gate', online: true, offset: 0, limit: 10 });
        assert.deepEqual(combined, { items: [], total: 0 });
      });

      void test('deleting a device removes its channels but keeps its events', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        await store.upsertDevice(OTHER_NVR, {});
        await store.syncChannels(NVR, [channelUpdate(channelId(1)), channelUpdate(channelId(2))], { complete: true });
        await store.syncChannels(OTHER_NVR, [channelUpdate(channelId(3))], { complete: true });
        await store.appendDeviceEvents([{ deviceId: NVR, type: 'online', reason: 'register', time: 1000 }]);

        assert.equal(await store.deleteDevice(NVR), true);
        assert.equal(await store.getDevice(NVR), null);
        assert.equal(await store.getChannel(channelId(1), NVR), null);
        assert.equal((await store.listChannels({ deviceId: NVR, includeMissing: true, offset: 0, limit: 10 })).total, 0);
        assert.equal((await store.listChannels({ offset: 0, limit: 10 })).total, 1, 'other devices keep theirs');
        const events = await store.listDeviceEvents({ deviceId: NVR, from: 0, to: 10_000, limit: 10 });
        assert.equal(events.length, 1);
        assert.equal(await store.deleteDevice(NVR), false, 'a second delete finds nothing');
      });
    });

    void describe('channels', () => {
      void test('a complete catalog adds, updates and marks missing channels, and sets channelCount', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        const first = await store.syncChannels(
          NVR,
          [channelUpdate(channelId(1)), channelUpdate(channelId(2)), channelUpdate(channelId(3))],
          { complete: true },
        );
        assert.deepEqual(first, { added: 3, updated: 0, missing: 0 });
        assert.equal((await store.getDevice(NVR))!.channelCount, 3);

        const second = await store.syncChannels(
          NVR,
          [channelUpdate(channelId(1), { name: '改名', status: 'OFF' }), channelUpdate(channelId(2)), channelUpdate(channelId(4))],
          { complete: true },
        );
        assert.deepEqual(second, { added: 1, updated: 1, missing: 1 });
        const renamed = await store.getChannel(channelId(1), NVR);
        assert.equal(renamed!.name, '改名');
        assert.equal(renamed!.status, 'OFF');
        const gone = await store.getChannel(channelId(3), NVR);
        assert.ok(gone, 'a missing channel is kept');
        assert.equal(gone.present, false);
        assert.equal((await store.getDevice(NVR))!.channelCount, 3);

        const listed = await store.listChannels({ deviceId: NVR, offset: 0, limit: 10 });
        assert.deepEqual(listed.items.map((c) => c.channelId), [channelId(1), channelId(2), channelId(4)]);
        assert.equal(listed.total, 3);
        const withMissing = await store.listChannels({ deviceId: NVR, includeMissing: true, offset: 0, limit: 10 });
        assert.equal(withMissing.total, 4);
      });

      void test('a partial catalog (complete: false) adds and updates but never marks channels missing', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        await store.syncChannels(NVR, [channelUpdate(channelId(1)), channelUpdate(channelId(2))], { complete: true });
        const partial = await store.syncChannels(
          NVR,
          [channelUpdate(channelId(2), { name: 'renamed' }), channelUpdate(channelId(3))],
          { complete: false },
        );
        assert.deepEqual(partial, { added: 1, updated: 1, missing: 0 });
        const listed = await store.listChannels({ deviceId: NVR, offset: 0, limit: 10 });
        assert.equal(listed.total, 3);
        assert.ok(listed.items.every((c) => c.present));
        assert.equal((await store.getDevice(NVR))!.channelCount, 3);
      });

      void test('syncing the same catalog again changes nothing', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        const catalog = [channelUpdate(channelId(1)), channelUpdate(channelId(2))];
        await store.syncChannels(NVR, catalog, { complete: true });
        const before = await store.getChannel(channelId(1), NVR);
        await new Promise((resolve) => setTimeout(resolve, 5));
        assert.deepEqual(await store.syncChannels(NVR, catalog, { complete: true }), { added: 0, updated: 0, missing: 0 });
        assert.deepEqual(await store.getChannel(channelId(1), NVR), before, 'not even updatedAt moves');
      });

      void test('a missing channel that reappears is present again', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        await store.syncChannels(NVR, [channelUpdate(channelId(1)), channelUpdate(channelId(2))], { complete: true });
        await store.syncChannels(NVR, [channelUpdate(channelId(1))], { complete: true });
        assert.equal((await store.getChannel(channelId(2), NVR))!.present, false);
        assert.equal((await store.getDevice(NVR))!.channelCount, 1);
        const again = await store.syncChannels(NVR, [channelUpdate(channelId(1)), channelUpdate(channelId(2))], { complete: true });
        assert.deepEqual(again, { added: 0, updated: 1, missing: 0 });
        assert.equal((await store.getChannel(channelId(2), NVR))!.present, true);
        assert.equal((await store.getDevice(NVR))!.channelCount, 2);
        const empty = await store.syncChannels(NVR, [], { complete: true });
        assert.deepEqual(empty, { added: 0, updated: 0, missing: 2 }, 'an empty complete catalog marks all missing');
        assert.equal((await store.getDevice(NVR))!.channelCount, 0);
      });

      void test('a catalog that repeats a channel stores it once, the last copy winning', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        const result = await store.syncChannels(
          NVR,
          [channelUpdate(channelId(1), { name: 'first' }), channelUpdate(channelId(1), { name: 'second' })],
          { complete: true },
        );
        assert.deepEqual(result, { added: 1, updated: 0, missing: 0 });
        assert.equal((await store.getChannel(channelId(1), NVR))!.name, 'second');
        assert.equal((await store.getDevice(NVR))!.channelCount, 1);
      });

      void test('every channel field round-trips', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        const full = channelUpdate(channelId(7), {
          parental: true,
          businessGroupId: '34020000002150000001',
          block: 'B1',
          registerWay: 2,
          secrecy: 1,
          port: 65535,
          status: 'UNKNOWN',
          longitude: -73.985_428,
          latitude: 40.748_817,
          ptzType: 3,
        });
        const sparse = channelUpdate(channelId(8), {
          name: null, manufacturer: null, model: null, owner: null, civilCode: null, address: null, parentId: null,
          ipAddress: null, port: null, longitude: null, latitude: null, ptzType: null, registerWay: null, secrecy: null,
        });
        const before = Date.now();
        await store.syncChannels(NVR, [full, sparse], { complete: true });
        for (const expected of [full, sparse]) {
          const stored = await store.getChannel(expected.channelId, NVR);
          assert.ok(stored);
          const { deviceId: storedDevice, present, createdAt, updatedAt, ...fields } = stored;
          assert.deepEqual(fields, expected);
          assert.equal(storedDevice, NVR);
          assert.equal(present, true);
          assert.ok(createdAt >= before && updatedAt === createdAt);
        }
      });

      void test('getChannel finds a channel with or without its device ID; IDs may repeat across devices', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        await store.upsertDevice(OTHER_NVR, {});
        const shared = channelId(5);
        await store.syncChannels(NVR, [channelUpdate(shared, { name: 'on first NVR' }), channelUpdate(channelId(6))], { complete: true });
        await store.syncChannels(OTHER_NVR, [channelUpdate(shared, { name: 'on second NVR', parentId: OTHER_NVR })], { complete: true });
        assert.equal((await store.getChannel(shared, NVR))!.name, 'on first NVR');
        assert.equal((await store.getChannel(shared, OTHER_NVR))!.name, 'on second NVR');
        assert.equal((await store.getChannel(channelId(6)))!.deviceId, NVR);
        assert.equal((await store.getChannel(shared))!.channelId, shared);
        assert.equal(await store.getChannel(channelId(6), OTHER_NVR), null);
        assert.equal(await store.getChannel(channelId(99)), null);

        await store.syncChannels(NVR, [channelUpdate(channelId(6))], { complete: true });
        const preferred = await store.getChannel(shared);
        assert.equal(preferred!.deviceId, OTHER_NVR, 'without a device ID a present channel is preferred');
      });

      void test('listChannels filters by device, parent, status and keyword, pages and reports the total', async (t) => {
        const store = await open(t);
        await store.upsertDevice(NVR, {});
        await store.upsertDevice(OTHER_NVR, {});
        const group = '34020000002160000001';
        const first = Array.from({ length: 12 }, (_, i) =>
          channelUpdate(channelId(i), {
            status: i % 4 === 0 ? 'OFF' : 'ON',
            parentId: i < 4 ? group : NVR,
            name: i === 3 ? '北门_入口 100%' : `Camera ${i}`,
            address: i === 5 ? 'Lobby' : null,
          }),
        );
        await store.syncChannels(NVR, first, { complete: true });
        await store.syncChannels(OTHER_NVR, [channelUpdate(channelId(100), { parentId: OTHER_NVR })], { complete: true });

        assert.equal((await store.listChannels({ offset: 0, limit: 100 })).total, 13);
        assert.equal((await store.listChannels({ deviceId: NVR, offset: 0, limit: 100 })).total, 12);
        const byParent = await store.listChannels({ parentId: group, offset: 0, limit: 100 });
        assert.deepEqual(byParent.items.map((c) => c.channelId), [0, 1, 2, 3].map((i) => channelId(i)));
        const off = await store.listChannels({ deviceId: NVR, status: 'OFF', offset: 0, limit: 100 });
        assert.deepEqual(off.items.map((c) => c.channelId), [0, 4, 8].map((i) => channelId(i)));
        const offInGroup = await store.listChannels({ parentId: group, status: 'OFF', offset: 0, limit: 100 });
        assert.equal(offInGroup.total, 1);
        assert.deepEqual((await store.listChannels({ keyword: '北门', offset: 0, limit: 10 })).items.map((c) => c.channelId), [channelId(3)]);
        assert.deepEqual((await store.listChannels({ keyword: '_', offset: 0, limit: 10 })).items.map((c) => c.channelId), [channelId(3)]);
        assert.deepEqual((await store.listChannels({ keyword: '%', offset: 0, limit: 10 })).items.map((c) => c.channelId), [channelId(3)]);
        assert.deepEqual((await store.listChannels({ keyword: 'lobby', offset: 0, limit: 10 })).items.map((c) => c.channelId), [channelId(5)]);
        assert.equal((await store.listChannels({ keyword: 'camera', offset: 0, limit: 100 })).total, 11);
        assert.equal((await store.listChannels({ keyword: '1310000100', offset: 0, limit: 100 })).total, 1, 'matches inside the ID');

        const page = await store.listChannels({ deviceId: NVR, offset: 10, limit: 5 });
        assert.deepEqual(page.items.map((c) => c.channelId), [channelId(10), channelId(11)]);
        assert.equal(page.total, 12);
      });
    });

    void describe('device events', () => {
      void test('events are listed in [from, to), oldest first, by device and type, up to the limit', async (t) => {
        const store = await open(t);
        const events: DeviceEvent[] = [
          { deviceId: IPC, type: 'online', reason: 'register', time: 1000 },
          { deviceId: NVR, type: 'online', reason: 'register', time: 1500 },
          { deviceId: IPC, type: 'offline', reason: 'keepalive-timeout', time: 2000, detail: '3 keepalives missed' },
          { deviceId: IPC, type: 'online', reason: 'keepalive', time: 3000 },
          { deviceId: NVR, type: 'offline', reason: 'unregister', time: 4000 },
        ];
        // Appended out of order, and in two batches: listing sorts by time.
        await store.appendDeviceEvents([events[3]!, events[0]!]);
        await store.appendDeviceEvents([events[4]!, events[2]!, events[1]!]);
        await store.appendDeviceEvents([]);

        assert.deepEqual(await store.listDeviceEvents({ from: 0, to: 10_000, limit: 100 }), events);
        assert.deepEqual(
          await store.listDeviceEvents({ from: 1000, to: 3000, limit: 100 }),
          events.slice(0, 3),
          'from is inclusive, to exclusive',
        );
        assert.deepEqual(await store.listDeviceEvents({ deviceId: IPC, from: 0, to: 10_000, limit: 100 }), [events[0], events[2], events[3]]);
        assert.deepEqual(await store.listDeviceEvents({ type: 'offline', from: 0, to: 10_000, limit: 100 }), [events[2], events[4]]);
        assert.deepEqual(
          await store.listDeviceEvents({ deviceId: IPC, type: 'online', from: 0, to: 10_000, limit: 100 }),
          [events[0], events[3]],
        );
        assert.deepEqual(await store.listDeviceEvents({ from: 0, to: 10_000, limit: 2 }), events.slice(0, 2));
        assert.deepEqual(await store.listDeviceEvents({ from: 5000, to: 6000, limit: 10 }), []);
      });

      void test('events at the same time keep their append order', async (t) => {
        const store = await open(t);
        const same: DeviceEvent[] = [
          { deviceId: IPC, type: 'offline', reason: 'server-restart', time: 7000 },
          { deviceId: IPC, type: 'online', reason: 'register', time: 7000 },
        ];
        await store.appendDeviceEvents(same);
        assert.deepEqual(await store.listDeviceEvents({ deviceId: IPC, from: 0, to: 8000, limit: 10 }), same);
      });
    });

    describeRecordingContract(open);
    describeRecordingPlanContract(open);

    void test('Chinese names, addresses and event details round-trip', async (t) => {
      const store = await open(t);
      const name = '厦门市思明区 · 中山路步行街 摄像机①';
      await store.upsertDevice(NVR, { name, manufacturer: '海康威视', model: 'iDS-9632NX' });
      await store.syncChannels(NVR, [channelUpdate(channelId(1), { name: '一楼大厅（东）', address: '福建省厦门市', owner: '公安局' })], { complete: true });
      await store.appendDeviceEvents([{ deviceId: NVR, type: 'offline', reason: 'keepalive-timeout', time: 1, detail: '心跳超时 3 次' }]);
      const device = await store.getDevice(NVR);
      assert.equal(device!.name, name);
      assert.equal(device!.manufacturer, '海康威视');
      const channel = await store.getChannel(channelId(1), NVR);
      assert.equal(channel!.name, '一楼大厅（东）');
      assert.equal(channel!.address, '福建省厦门市');
      assert.equal(channel!.owner, '公安局');
      const [event] = await store.listDeviceEvents({ from: 0, to: 2, limit: 1 });
      assert.equal(event!.detail, '心跳超时 3 次');
      assert.equal((await store.listDevices({ keyword: '中山路', offset: 0, limit: 1 })).total, 1);
    });

    void test('close() is idempotent', async () => {
      const store = await makeStore();
      await store.init();
      await store.upsertDevice(IPC, {});
      await store.close();
      await store.close();
    });
  });
}
