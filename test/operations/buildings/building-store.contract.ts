import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildingConflictError, type BuildingStore } from '../../../src/operations/buildings/types';
import type { MaintenanceStore } from '../../../src/operations/maintenance/types';
import { buildingInput, deviceIdOf } from '../accounting/fixtures';

export interface BuildingStores {
  buildings: BuildingStore;
  maintenance: MaintenanceStore;
  close(): Promise<void>;
}

/** What every building and maintenance store adapter must do. */
export function runBuildingStoreContract(name: string, open: () => Promise<BuildingStores>): void {
  describe(`building store contract: ${name}`, () => {
    let stores: BuildingStores;
    let store: BuildingStore;
    before(async () => {
      stores = await open();
      store = stores.buildings;
      await store.init();
      await stores.maintenance.init();
    });
    after(async () => {
      await stores.close();
    });

    test('a created building reads back with its devices in order, by ID and by device', async () => {
      const created = await store.createBuilding(buildingInput(1), 1000);
      assert.equal(created.createdAt, 1000);
      assert.deepEqual(created.stateHistory, [{ state: 'active', since: 1000 }]);
      const read = await store.getBuilding('B00001');
      assert.deepEqual(read, created);
      assert.deepEqual((await store.buildingOfDevice(deviceIdOf(1, 2)))?.buildingId, 'B00001');
      assert.equal(await store.buildingOfDevice(deviceIdOf(9, 2)), null);
      assert.deepEqual(
        read?.devices.map((d) => d.role),
        ['door', 'camera', 'camera'],
      );
    });

    test('a second building with the same ID, or holding a device of another, is refused', async () => {
      await assert.rejects(store.createBuilding(buildingInput(1), 2000), (err: unknown) => err instanceof BuildingConflictError && err.kind === 'exists');
      const thief = buildingInput(2, { devices: [{ deviceId: deviceIdOf(1, 0), role: 'door' }] });
      await assert.rejects(store.createBuilding(thief, 2000), (err: unknown) => err instanceof BuildingConflictError && err.kind === 'device-taken');
      assert.equal(await store.getBuilding('B00002'), null, 'nothing of the refused building is kept');
    });

    test('replacing a building changes its devices and records a state change with its start', async () => {
      await store.createBuilding(buildingInput(3), 1000);
      const next = await store.replaceBuilding({ ...buildingInput(3, { devices: [{ deviceId: deviceIdOf(3, 1), role: 'camera' }] }), state: 'removed', stateSince: 5000 }, 6000);
      assert.equal(next.state, 'removed');
      assert.equal(next.stateSince, 5000);
      assert.deepEqual(next.stateHistory, [
        { state: 'active', since: 1000 },
        { state: 'removed', since: 5000 },
      ]);
      assert.equal(next.createdAt, 1000);
      assert.equal(next.updatedAt, 6000);
      assert.equal(await store.buildingOfDevice(deviceIdOf(3, 0)), null, 'a device left out of the list is free again');
      await assert.rejects(store.replaceBuilding(buildingInput(99), 1), (err: unknown) => err instanceof BuildingConflictError && err.kind === 'not-found');
    });

    test('lists filter by street, community, state, line and keyword (including a device ID), with paging', async () => {
      for (const n of [10, 11, 17, 24]) await store.createBuilding(buildingInput(n), 1000);
      const street3 = await store.listBuildings({ street: '街道3', offset: 0, limit: 10 });
      assert.deepEqual(
        street3.items.map((b) => b.buildingId),
        ['B00003', 'B00010', 'B00017', 'B00024'],
      );
      assert.equal(street3.total, 4);
      const page = await store.listBuildings({ street: '街道3', offset: 1, limit: 2 });
      assert.deepEqual(
        page.items.map((b) => b.buildingId),
        ['B00010', 'B00017'],
      );
      assert.equal(page.total, 4);
      assert.deepEqual((await store.listBuildings({ state: 'removed', offset: 0, limit: 10 })).items.map((b) => b.buildingId), ['B00003']);
      assert.deepEqual((await store.listBuildings({ keyword: deviceIdOf(11, 2), offset: 0, limit: 10 })).items.map((b) => b.buildingId), ['B00011']);
      assert.deepEqual((await store.listBuildings({ keyword: '莲花路17号', offset: 0, limit: 10 })).items.map((b) => b.buildingId), ['B00017']);
      assert.deepEqual((await store.listBuildings({ keyword: '100%_', offset: 0, limit: 10 })).items, []);
      assert.deepEqual((await store.buildingsOnLine('L10')).map((b) => b.buildingId), ['B00010']);
      assert.deepEqual(await store.listBuildings({ community: '社区11', line: 'L11', offset: 0, limit: 10 }).then((p) => p.total), 1);
    });

    test('a batch write is all or nothing, and devices may move between buildings of the batch', async () => {
      // Buildings 10 and 11 swap their door hosts, 30 is new.
      const swap = [
        buildingInput(10, { devices: [{ deviceId: deviceIdOf(11, 0), role: 'door' }] }),
        buildingInput(11, { devices: [{ deviceId: deviceIdOf(10, 0), role: 'door' }] }),
        buildingInput(30),
      ];
      assert.deepEqual(await store.writeBuildings(swap, 7000), { created: 1, updated: 2 });
      assert.equal((await store.buildingOfDevice(deviceIdOf(11, 0)))?.buildingId, 'B00010');
      // A device held by a building outside the batch: nothing of the batch stays.
      const bad = [buildingInput(31), buildingInput(32, { devices: [{ deviceId: deviceIdOf(17, 1), role: 'camera' }] })];
      await assert.rejects(store.writeBuildings(bad, 8000), BuildingConflictError);
      assert.equal(await store.getBuilding('B00031'), null);
      assert.equal((await store.buildingOfDevice(deviceIdOf(17, 1)))?.buildingId, 'B00017');
      const owners = await store.ownersOf([deviceIdOf(10, 0), deviceIdOf(31, 0), deviceIdOf(30, 2)]);
      assert.deepEqual(
        [...owners].sort(),
        [
          [deviceIdOf(10, 0), 'B00011'],
          [deviceIdOf(30, 2), 'B00030'],
        ].sort(),
      );
    });

    test('deleting a building frees its devices; every building reads back in ID order', async () => {
      assert.equal(await store.deleteBuilding('B00030'), true);
      assert.equal(await store.deleteBuilding('B00030'), false);
      assert.equal(await store.buildingOfDevice(deviceIdOf(30, 0)), null);
      const all = await store.allBuildings();
      assert.deepEqual(
        all.map((b) => b.buildingId),
        ['B00001', 'B00003', 'B00010', 'B00011', 'B00017', 'B00024'],
      );
      assert.equal(all[0]?.devices.length, 3);
    });

    test('device memberships: who was in which building when (replacement, move, role change, deletion)', async () => {
      // deleteBuilding closes memberships at the real time: the test clock runs a minute behind it.
      const T = Date.now() - 60_000;
      const [door, cam1, cam2, spare] = [deviceIdOf(40, 0), deviceIdOf(40, 1), deviceIdOf(40, 2), deviceIdOf(41, 1)];
      const input = buildingInput(40);
      // Created without a service date: its devices belong "from always" (0).
      await store.createBuilding(input, T);
      // At T+1000 camera 2 is replaced by the spare; at T+2000 camera 1 becomes a door host.
      const replaced = input.devices.map((d) => (d.deviceId === cam2 ? { deviceId: spare, role: 'camera' as const } : d));
      await store.replaceBuilding({ ...input, devices: replaced }, T + 1000);
      await store.replaceBuilding({ ...input, devices: replaced.map((d) => (d.deviceId === cam1 ? { ...d, role: 'door' as const } : d)) }, T + 2000);
      // Camera 2 moves to a new building with a service date; building 40 is then deleted.
      await store.createBuilding(buildingInput(42, { stateSince: T + 3000, devices: [{ deviceId: cam2, role: 'camera' }] }), T + 4000);
      await store.deleteBuilding('B00040');
      const rows = (await store.membershipsDuring(T - 1, T + 100_000)).filter((m) => m.buildingId === 'B00040' || m.buildingId === 'B00042');
      const view = rows.map((m) => `${m.buildingId} ${m.deviceId.slice(-3)} ${m.role} ${m.since === 0 ? 0 : m.since - T} ${m.until === null ? '-' : m.until >= T + 4000 ? 'deleted' : m.until - T}`).sort();
      assert.deepEqual(view, [
        `B00040 ${cam1.slice(-3)} door 0 deleted`,
        `B00040 ${cam2.slice(-3)} camera 0 1000`,
        `B00040 ${door.slice(-3)} door 0 deleted`,
        `B00040 ${spare.slice(-3)} camera 1000 deleted`,
        `B00042 ${cam2.slice(-3)} camera 3000 -`,
      ].sort());
      // Overlap: a period ending before the replacement does not see the spare.
      const early = (await store.membershipsDuring(T, T + 500)).filter((m) => m.buildingId === 'B00040').map((m) => m.deviceId).sort();
      assert.deepEqual(early, [door, cam1, cam2].sort());
      assert.equal((await store.membershipsDuring(T + 500, T + 900)).some((m) => m.deviceId === spare), false);
      assert.equal(await store.deleteBuilding('B00042'), true);
    });

    test('maintenance windows are stored, listed by overlap and deleted', async () => {
      const m = stores.maintenance;
      const w = (id: string, from: number, to: number, targetId = deviceIdOf(1, 1)) => ({
        id,
        scope: 'device' as const,
        targetId,
        from,
        to,
        reason: '更换摄像机',
        createdAt: 1,
        updatedAt: 1,
      });
      await m.put(w('a', 100, 200));
      await m.put(w('b', 150, 300, 'B00001'));
      await m.put(w('c', 400, 500));
      await m.put({ ...w('a', 100, 250), updatedAt: 2 });
      assert.deepEqual(await m.get('a'), { ...w('a', 100, 250), updatedAt: 2 });
      assert.deepEqual((await m.overlapping(200, 400)).map((x) => x.id), ['a', 'b']);
      assert.deepEqual((await m.overlapping(250, 400)).map((x) => x.id), ['b']);
      const page = await m.list({ targetId: deviceIdOf(1, 1), offset: 0, limit: 1 });
      assert.deepEqual([page.total, page.items.map((x) => x.id)], [2, ['a']]);
      assert.equal((await m.list({ from: 260, to: 1000, offset: 0, limit: 10 })).total, 2);
      assert.equal(await m.delete('a'), true);
      assert.equal(await m.get('a'), null);
    });
  });
}
