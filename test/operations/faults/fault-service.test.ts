import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectingPublisher } from '../../../src/events/types';
import { silentLogger } from '../../../src/logger';
import { FaultService } from '../../../src/operations/faults/fault-service';
import { SqliteFaultStore } from '../../../src/operations/faults/store-sqlite';
import type { FaultStore, FaultTicket } from '../../../src/operations/faults/types';
import { FakeDevices, MemoryDirectory, cam, door, memoryDatabase } from './fixtures';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);

interface Rig {
  service: FaultService;
  store: FaultStore;
  directory: MemoryDirectory;
  devices: FakeDevices;
  events: CollectingPublisher;
  clock: { now: number };
  /** Moves the clock and runs the sweep. */
  at(ms: number): Promise<void>;
  offline(deviceId: string, at: number): Promise<void>;
  online(deviceId: string, at: number): Promise<void>;
}

async function rig(shared?: Partial<Pick<Rig, 'store' | 'directory' | 'devices'>> & { clock?: { now: number } }): Promise<Rig> {
  const store = shared?.store ?? new SqliteFaultStore(memoryDatabase());
  const directory = shared?.directory ?? new MemoryDirectory();
  const devices = shared?.devices ?? new FakeDevices();
  const events = new CollectingPublisher();
  const clock = shared?.clock ?? { now: T0 };
  const service = new FaultService(store, directory, devices, null, events, silentLogger(), {
    graceMs: 5 * MIN,
    responseMs: 30 * MIN,
    frontEndRepairMs: 4 * HOUR,
    networkRepairMs: 4 * HOUR,
    noSpareFibreRepairMs: 24 * HOUR,
    sweepIntervalMs: 0,
    now: () => clock.now,
  });
  await service.start();
  return {
    service, store, directory, devices, events, clock,
    at: async (ms) => {
      clock.now = ms;
      await service.tick(ms);
    },
    offline: async (deviceId, at) => {
      devices.set(deviceId, false, at);
      await service.offlineEvent(deviceId, at);
    },
    online: async (deviceId, at) => {
      devices.set(deviceId, true, at);
      await service.onlineEvent(deviceId, at);
    },
  };
}

function building(r: Rig, n: number, line: string | null = null): string[] {
  const ids = [door(n), cam(n, 1), cam(n, 2)];
  r.directory.add(`B${n}`, { door: door(n), cameras: [cam(n, 1), cam(n, 2)] }, line);
  for (const id of ids) r.devices.set(id, true, T0 - HOUR);
  return ids;
}

const tickets = async (r: Rig): Promise<FaultTicket[]> => (await r.service.list({ offset: 0, limit: 1000 })).items;
const topics = (r: Rig) => r.events.events.map((e) => e.topic);

describe('fault tickets', () => {
  test('a single camera offline past the grace time opens one front-end ticket, not before', async () => {
    const r = await rig();
    const [, c1] = building(r, 1);
    await r.offline(c1!, T0);
    await r.at(T0 + 5 * MIN - 1);
    assert.equal((await tickets(r)).length, 0);
    await r.at(T0 + 5 * MIN);
    const [t] = await tickets(r);
    assert.ok(t);
    assert.equal(t.kind, 'front-end');
    assert.equal(t.scope, 'device');
    assert.deepEqual(t.buildingIds, ['B1']);
    assert.deepEqual(t.devices.map((d) => d.deviceId), [c1]);
    assert.equal(t.openedAt, T0 + 5 * MIN);
    assert.equal(t.responseDeadline, T0 + 35 * MIN);
    assert.equal(t.repairDeadline, T0 + 5 * MIN + 4 * HOUR);
    assert.deepEqual(topics(r), ['fault.opened']);
    await r.at(T0 + 10 * MIN);
    assert.equal((await tickets(r)).length, 1, 'no second ticket for the same outage');
    await r.service.close();
  });

  test('a device back within the grace time opens nothing', async () => {
    const r = await rig();
    const [d] = building(r, 1);
    await r.offline(d!, T0);
    await r.online(d!, T0 + 4 * MIN);
    await r.at(T0 + 20 * MIN);
    assert.equal((await tickets(r)).length, 0);
    await r.service.close();
  });

  test('a whole building offline within the grace window is one network ticket listing its devices', async () => {
    const r = await rig();
    const ids = building(r, 1);
    building(r, 2);
    await r.offline(ids[0]!, T0);
    await r.offline(ids[1]!, T0 + 1 * MIN);
    await r.offline(ids[2]!, T0 + 4 * MIN);
    await r.at(T0 + 5 * MIN);
    const all = await tickets(r);
    assert.equal(all.length, 1);
    const t = all[0]!;
    assert.equal(t.kind, 'network');
    assert.equal(t.scope, 'building');
    assert.deepEqual(t.devices.map((d) => d.deviceId).sort(), [...ids].sort());
    assert.equal(t.offlineSince, T0);
    assert.equal(t.repairDeadline, t.openedAt + 4 * HOUR);
    await r.at(T0 + 20 * MIN);
    assert.equal((await tickets(r)).length, 1);
    await r.service.close();
  });

  test('devices of one building failing further apart than the grace time are front-end faults', async () => {
    const r = await rig();
    const ids = building(r, 1);
    await r.offline(ids[0]!, T0);
    await r.offline(ids[1]!, T0 + 6 * MIN);
    await r.offline(ids[2]!, T0 + 7 * MIN);
    await r.at(T0 + 30 * MIN);
    const all = await tickets(r);
    assert.equal(all.length, 3);
    assert.ok(all.every((t) => t.kind === 'front-end'));
    await r.service.close();
  });

  test('every building on a line offline at once is one network ticket for the line', async () => {
    const r = await rig();
    const a = building(r, 1, 'L7');
    const b = building(r, 2, 'L7');
    const c = building(r, 3, 'L8');
    for (const id of [...a, ...b]) await r.offline(id, T0 + 30_000);
    await r.offline(c[0]!, T0);
    await r.at(T0 + 6 * MIN);
    const all = await tickets(r);
    const line = all.find((t) => t.scope === 'line');
    assert.ok(line);
    assert.equal(line.kind, 'network');
    assert.equal(line.line, 'L7');
    assert.deepEqual(line.buildingIds.sort(), ['B1', 'B2']);
    assert.equal(line.devices.length, 6);
    assert.equal(all.filter((t) => t.kind === 'front-end').length, 1);
    assert.equal(all.length, 2);
    assert.equal((await r.service.list({ buildingId: 'B2', offset: 0, limit: 10 })).total, 1);
    await r.service.close();
  });

  test('the response breach is flagged at 30 minutes, the repair breach at 4 hours, each published once', async () => {
    const r = await rig();
    const [d] = building(r, 1);
    await r.offline(d!, T0);
    await r.at(T0 + 5 * MIN);
    const opened = (await tickets(r))[0]!;
    await r.at(opened.responseDeadline - 1);
    assert.equal((await r.service.get(opened.id)).responseBreachedAt, null);
    await r.at(opened.responseDeadline);
    const t = await r.service.get(opened.id);
    assert.equal(t.responseBreachedAt, opened.responseDeadline);
    assert.equal(t.repairBreachedAt, null);
    assert.equal((await r.service.list({ breached: true, offset: 0, limit: 10 })).total, 1);
    await r.at(opened.repairDeadline - 1);
    assert.equal((await r.service.get(opened.id)).repairBreachedAt, null);
    await r.at(opened.repairDeadline + 10 * MIN);
    assert.equal((await r.service.get(opened.id)).repairBreachedAt, opened.repairDeadline);
    const breaches = r.events.events.filter((e) => e.topic === 'fault.breach').map((e) => e.data.deadline);
    assert.deepEqual(breaches, ['response', 'repair']);
    await r.service.close();
  });

  test('a ticket acknowledged in time never breaches the response deadline', async () => {
    const r = await rig();
    const [d] = building(r, 1);
    await r.offline(d!, T0);
    await r.at(T0 + 5 * MIN);
    const id = (await tickets(r))[0]!.id;
    r.clock.now = T0 + 20 * MIN;
    const acked = await r.service.acknowledge(id, 'duty officer Li');
    assert.equal(acked.state, 'acknowledged');
    assert.equal(acked.acknowledgedBy, 'duty officer Li');
    assert.equal(acked.acknowledgedAt, T0 + 20 * MIN);
    await r.at(T0 + 2 * HOUR);
    assert.equal((await r.service.get(id)).responseBreachedAt, null);
    await assert.rejects(r.service.acknowledge(id, 'x'), /acknowledged/);
    await r.service.close();
  });

  test('a late acknowledgement is a response breach flagged at once', async () => {
    const r = await rig();
    const [d] = building(r, 1);
    await r.offline(d!, T0);
    await r.at(T0 + 5 * MIN);
    const id = (await tickets(r))[0]!.id;
    r.clock.now = T0 + 50 * MIN; // no sweep ran since the deadline
    const acked = await r.service.acknowledge(id, 'late');
    assert.equal(acked.responseBreachedAt, T0 + 35 * MIN);
    assert.deepEqual(topics(r), ['fault.opened', 'fault.acknowledged', 'fault.breach']);
    await r.service.close();
  });

  test('a network ticket closes by itself when the last device is back, with the measured repair time', async () => {
    const r = await rig();
    const ids = building(r, 1);
    for (const id of ids) await r.offline(id, T0);
    await r.at(T0 + 5 * MIN);
    const id = (await tickets(r))[0]!.id;
    await r.online(ids[0]!, T0 + 1 * HOUR);
    await r.online(ids[1]!, T0 + 2 * HOUR);
    assert.equal((await r.service.get(id)).state, 'open');
    await r.online(ids[2]!, T0 + 3 * HOUR);
    const t = await r.service.get(id);
    assert.equal(t.state, 'resolved');
    assert.equal(t.resolution, 'auto');
    assert.equal(t.resolvedAt, T0 + 3 * HOUR);
    assert.equal(t.repairMs, 3 * HOUR);
    assert.equal(t.repairBreachedAt, null);
    assert.equal(t.responseBreachedAt, T0 + 35 * MIN, 'nobody answered within 30 minutes');
    assert.deepEqual(topics(r), ['fault.opened', 'fault.breach', 'fault.resolved']);
    await r.service.close();
  });

  test('a device that fails again while its ticket is open rejoins that ticket', async () => {
    const r = await rig();
    const ids = building(r, 1);
    for (const id of ids) await r.offline(id, T0);
    await r.at(T0 + 5 * MIN);
    await r.online(ids[0]!, T0 + 10 * MIN);
    await r.offline(ids[0]!, T0 + 11 * MIN);
    await r.at(T0 + 30 * MIN);
    const all = await tickets(r);
    assert.equal(all.length, 1);
    assert.equal(all[0]!.devices.find((d) => d.deviceId === ids[0])?.backAt, null);
    await r.service.close();
  });

  test('no spare fibre on the line gives a network fault 24 hours to repair', async () => {
    const r = await rig();
    const ids = building(r, 1, 'L9');
    await r.service.putFibre({ scope: 'line', id: 'L9', noSpareFibre: true, note: 'single fibre' });
    for (const id of ids) await r.offline(id, T0);
    await r.at(T0 + 5 * MIN);
    const t = (await tickets(r))[0]!;
    assert.equal(t.noSpareFibre, true);
    assert.equal(t.repairDeadline, t.openedAt + 24 * HOUR);
    await r.at(t.openedAt + 5 * HOUR);
    assert.equal((await r.service.get(t.id)).repairBreachedAt, null);
    await r.service.close();
  });

  test('a ticket resolved by hand keeps the note; its still-offline device gets no new ticket', async () => {
    const r = await rig();
    const [d] = building(r, 1);
    await r.offline(d!, T0);
    await r.at(T0 + 5 * MIN);
    const id = (await tickets(r))[0]!.id;
    r.clock.now = T0 + 5 * HOUR;
    const t = await r.service.resolve(id, 'engineer Wang', 'camera replaced, awaiting power');
    assert.equal(t.resolution, 'manual');
    assert.equal(t.note, 'camera replaced, awaiting power');
    assert.equal(t.repairBreachedAt, T0 + 5 * MIN + 4 * HOUR);
    await assert.rejects(r.service.resolve(id, 'x', 'y'), /already resolved/);
    await r.at(T0 + 6 * HOUR);
    assert.equal((await tickets(r)).length, 1);
    await r.service.close();
  });

  test('a restart neither loses nor duplicates tickets', async () => {
    const clock = { now: T0 };
    const first = await rig({ clock });
    const a = building(first, 1);
    const b = building(first, 2);
    const c = building(first, 3);
    for (const id of a) await first.offline(id, T0); // network ticket, still open at the restart
    await first.offline(b[1]!, T0); // front-end ticket, resolved by hand, device still offline
    await first.at(T0 + 5 * MIN);
    const before = await tickets(first);
    assert.equal(before.length, 2);
    const manual = before.find((t) => t.kind === 'front-end')!;
    await first.service.resolve(manual.id, 'x', 'known issue');
    await first.offline(c[2]!, T0 + 8 * MIN); // pending at the restart
    await first.service.close();

    // While down: one device of the building came back.
    first.devices.set(a[0]!, true, T0 + 9 * MIN);
    clock.now = T0 + 10 * MIN;
    const second = await rig({ store: first.store, directory: first.directory, devices: first.devices, clock });
    const network = (await second.service.list({ state: 'open', offset: 0, limit: 10 })).items;
    assert.equal(network.length, 1);
    assert.equal(network[0]!.devices.find((d) => d.deviceId === a[0])?.backAt, T0 + 9 * MIN);
    await second.at(T0 + 12 * MIN);
    assert.equal((await tickets(second)).length, 2, 'the pending device waits out its grace time');
    await second.at(T0 + 13 * MIN);
    const after = await tickets(second);
    assert.equal(after.length, 3);
    const fresh = after.find((t) => t.devices[0]?.deviceId === c[2]);
    assert.equal(fresh?.kind, 'front-end');
    assert.equal(fresh?.devices[0]?.offlineAt, T0 + 8 * MIN);
    // The rest of the building comes back: the recovered ticket closes itself.
    await second.online(a[1]!, T0 + 20 * MIN);
    await second.online(a[2]!, T0 + 21 * MIN);
    const closed = await second.service.get(network[0]!.id);
    assert.equal(closed.state, 'resolved');
    assert.equal(closed.repairMs, 21 * MIN);
    await second.service.close();
  });

  test('30,000 devices: a district-wide outage becomes 10,000 building tickets in one sweep', async () => {
    const r = await rig();
    const ids: string[] = [];
    for (let n = 0; n < 10_000; n++) ids.push(...building(r, n));
    const started = performance.now();
    for (const [i, id] of ids.entries()) await r.offline(id, T0 + (Math.floor(i / 3) % 60) * 1000);
    const eventsMs = performance.now() - started;
    const sweepStart = performance.now();
    await r.at(T0 + 2 * 5 * MIN);
    const sweepMs = performance.now() - sweepStart;
    const page = await r.service.list({ offset: 0, limit: 1 });
    assert.equal(page.total, 10_000);
    assert.equal(page.items[0]!.kind, 'network');
    assert.equal(r.service.pendingCount, 0);
    const idle = performance.now();
    await r.at(T0 + 11 * MIN);
    assert.ok(performance.now() - idle < 500, 'a sweep with nothing due over 10,000 open tickets is cheap');
    assert.ok(sweepMs < 15_000, `sweep took ${sweepMs} ms`);
    assert.ok(eventsMs < 15_000, `30,000 offline transitions took ${eventsMs} ms`);
    if (process.env.GBVMS_TEST_TIMINGS) process.stdout.write(`# events ${eventsMs.toFixed(0)} ms, sweep ${sweepMs.toFixed(0)} ms\n`);
    await r.service.close();
  });
});
