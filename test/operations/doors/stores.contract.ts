import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditStore } from '../../../src/operations/audit/types';
import type { DoorRecord, DoorRecordStore } from '../../../src/operations/doors/types';
import type { FaultStore, FaultTicket } from '../../../src/operations/faults/types';
import type { WatchlistAlert, WatchlistStore } from '../../../src/operations/watchlist/types';

export interface OperationsStores {
  faults: FaultStore;
  doors: DoorRecordStore;
  watchlist: WatchlistStore;
  audit: AuditStore;
}

const ticket = (id: string, over: Partial<FaultTicket> = {}): FaultTicket => ({
  id, kind: 'network', scope: 'building', buildingIds: ['B1'], line: 'L1',
  devices: [{ deviceId: '34020000001310000001', offlineAt: 100, backAt: null }, { deviceId: '34020000001310000002', offlineAt: 110, backAt: null }],
  offlineSince: 100, openedAt: 1000, state: 'open', noSpareFibre: false, responseDeadline: 2000, repairDeadline: 9000,
  acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, resolution: null, note: null, repairMs: null,
  responseBreachedAt: null, repairBreachedAt: null, ...over,
});

const door = (id: string, eventId: string, over: Partial<DoorRecord> = {}): DoorRecord => ({
  id, eventId, source: 'rest', deviceId: '34020000001240000001', doorId: null, buildingId: 'B1', time: 5000, receivedAt: 5001,
  kind: 'unlock', method: 'card', direction: 'in', cardNumber: 'C-1', personId: 'P-1', personName: '张三', photo: null,
  description: null, cameraChannels: ['34020000001310000001'], ...over,
});

const alert = (id: string, over: Partial<WatchlistAlert> = {}): WatchlistAlert => ({
  id, entryId: 'w1', kind: 'card', value: 'C-1', reason: 'r', priority: 1, recordId: 'd1', buildingId: 'B1', deviceId: '34020000001240000001',
  doorId: null, eventTime: 5000, raisedAt: 6000, state: 'open', acknowledgedAt: null, acknowledgedBy: null, closedAt: null, closedBy: null,
  note: null, forwarded: false, ...over,
});

/** What every adapter of the district-operations stores (faults, door records, watchlist, audit) must do. */
export function runOperationsStoresContract(name: string, make: () => Promise<OperationsStores>): void {
  describe(`${name}: operations stores contract`, () => {
    test('fault tickets: save replaces, filters by state, building, breach and time, unresolved and device lookups', async () => {
      const { faults } = await make();
      await faults.save(ticket('t1'));
      await faults.save(ticket('t2', { openedAt: 3000, buildingIds: ['B2'], state: 'resolved', resolvedAt: 4000, repairBreachedAt: 9000 }));
      await faults.save(ticket('t1', { state: 'acknowledged', acknowledgedBy: 'x', acknowledgedAt: 1500 }));
      assert.equal((await faults.get('t1'))?.acknowledgedBy, 'x');
      assert.equal(await faults.get('nope'), null);
      const ids = async (q: object) => (await faults.list({ offset: 0, limit: 10, ...q })).items.map((t) => t.id);
      assert.deepEqual(await ids({}), ['t2', 't1']);
      assert.deepEqual(await ids({ state: 'acknowledged' }), ['t1']);
      assert.deepEqual(await ids({ buildingId: 'B2' }), ['t2']);
      assert.deepEqual(await ids({ breached: true }), ['t2']);
      assert.deepEqual(await ids({ breached: false }), ['t1']);
      assert.deepEqual(await ids({ from: 2000, to: 3001 }), ['t2']);
      assert.equal((await faults.list({ offset: 1, limit: 1 })).total, 2);
      assert.deepEqual((await faults.unresolved()).map((t) => t.id), ['t1']);
      assert.equal(await faults.lastTicketOpenedFor('34020000001310000002'), 3000);
      assert.equal(await faults.lastTicketOpenedFor('34020000001310000099'), null);
      await faults.putFibre({ scope: 'line', id: 'L1', noSpareFibre: true, note: 'one fibre', updatedAt: 1 });
      await faults.putFibre({ scope: 'line', id: 'L1', noSpareFibre: false, note: null, updatedAt: 2 });
      assert.deepEqual(await faults.getFibre('line', 'L1'), { scope: 'line', id: 'L1', noSpareFibre: false, note: null, updatedAt: 2 });
      assert.equal(await faults.getFibre('building', 'L1'), null);
      assert.equal((await faults.listFibre()).length, 1);
    });

    test('door records: one per event ID, filters, newest first, retention deletes the oldest', async () => {
      const { doors } = await make();
      assert.equal((await doors.insert(door('d1', 'e1'))).created, true);
      const dup = await doors.insert(door('d1b', 'e1', { time: 1 }));
      assert.deepEqual([dup.created, dup.record.id, dup.record.time], [false, 'd1', 5000]);
      await doors.insert(door('d2', 'e2', { time: 7000, method: 'face', cardNumber: null, personId: 'P-2', buildingId: 'B2' }));
      await doors.insert(door('d3', 'e3', { time: 1000 }));
      assert.deepEqual(await doors.get('d2'), door('d2', 'e2', { time: 7000, method: 'face', cardNumber: null, personId: 'P-2', buildingId: 'B2' }));
      const ids = async (q: object) => (await doors.list({ offset: 0, limit: 10, ...q })).items.map((r) => r.id);
      assert.deepEqual(await ids({}), ['d2', 'd1', 'd3']);
      assert.deepEqual(await ids({ buildingId: 'B1' }), ['d1', 'd3']);
      assert.deepEqual(await ids({ personId: 'P-2' }), ['d2']);
      assert.deepEqual(await ids({ cardNumber: 'C-1' }), ['d1', 'd3']);
      assert.deepEqual(await ids({ method: 'face' }), ['d2']);
      assert.deepEqual(await ids({ from: 1000, to: 5000 }), ['d3']);
      assert.deepEqual((await doors.deleteOlderThan(5001, 10)).map((r) => r.id).sort(), ['d1', 'd3']);
      assert.deepEqual(await ids({}), ['d2']);
    });

    test('watchlist: entries unique by kind and value, matches, alerts by state, building and time', async () => {
      const { watchlist } = await make();
      const entry = { id: 'w1', kind: 'card' as const, value: 'C-1', reason: 'r', priority: 1, createdAt: 1, updatedAt: 1 };
      assert.equal(await watchlist.insertEntry(entry), true);
      assert.equal(await watchlist.insertEntry({ ...entry, id: 'w2' }), false);
      await watchlist.insertEntry({ ...entry, id: 'w3', kind: 'person', value: 'P-1' });
      await watchlist.replaceEntry({ ...entry, priority: 3 });
      assert.equal((await watchlist.getEntry('w1'))?.priority, 3);
      assert.deepEqual((await watchlist.match('P-1', 'C-1')).map((e) => e.id).sort(), ['w1', 'w3']);
      assert.deepEqual((await watchlist.match(null, 'C-1')).map((e) => e.id), ['w1']);
      assert.deepEqual(await watchlist.match(null, null), []);
      assert.equal((await watchlist.listEntries(0, 10)).total, 2);
      assert.equal(await watchlist.deleteEntry('w3'), true);
      assert.equal(await watchlist.deleteEntry('w3'), false);
      await watchlist.saveAlert(alert('a1'));
      await watchlist.saveAlert(alert('a2', { raisedAt: 8000, buildingId: 'B2' }));
      await watchlist.saveAlert(alert('a1', { state: 'closed', note: 'done' }));
      assert.equal((await watchlist.getAlert('a1'))?.note, 'done');
      const ids = async (q: object) => (await watchlist.listAlerts({ offset: 0, limit: 10, ...q })).items.map((a) => a.id);
      assert.deepEqual(await ids({}), ['a2', 'a1']);
      assert.deepEqual(await ids({ state: 'closed' }), ['a1']);
      assert.deepEqual(await ids({ buildingId: 'B2' }), ['a2']);
      assert.deepEqual(await ids({ from: 7000 }), ['a2']);
    });

    test('audit log: appended lines listed newest first, filtered by action, actor and time', async () => {
      const { audit } = await make();
      await audit.append({ at: 1, actor: 'a', role: 'privileged', action: 'door-events.read', target: 'd1', result: 'OK', detail: { count: 1 } });
      await audit.append({ at: 2, actor: 'b', role: 'operator', action: 'door.open', target: '34020000001240000001', result: 'timeout', detail: null });
      const page = await audit.list({ offset: 0, limit: 10 });
      assert.equal(page.total, 2);
      assert.deepEqual(page.items.map((e) => e.action), ['door.open', 'door-events.read']);
      assert.deepEqual(page.items[1]?.detail, { count: 1 });
      assert.equal((await audit.list({ action: 'door.open', offset: 0, limit: 10 })).items[0]?.result, 'timeout');
      assert.equal((await audit.list({ actor: 'a', offset: 0, limit: 10 })).total, 1);
      assert.equal((await audit.list({ from: 2, offset: 0, limit: 10 })).total, 1);
    });
  });
}
