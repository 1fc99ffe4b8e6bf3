import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectingPublisher } from '../../../src/events/types';
import { silentLogger } from '../../../src/logger';
import type { DoorRecord } from '../../../src/operations/doors/types';
import { SqliteWatchlistStore } from '../../../src/operations/watchlist/store-sqlite';
import type { WatchlistAlert } from '../../../src/operations/watchlist/types';
import { WatchlistService } from '../../../src/operations/watchlist/watchlist-service';
import { watchlistAlarm } from '../../../src/operations/watchlist/cascade-alarm';
import { memoryDatabase } from '../faults/fixtures';

const record = (over: Partial<DoorRecord> = {}): DoorRecord => ({
  id: 'r1', eventId: 'e1', source: 'sip', deviceId: '34020000001240000001', doorId: null, buildingId: 'B1', time: 1_700_000_000_000,
  receivedAt: 1_700_000_000_100, kind: 'unlock', method: 'card', direction: 'in', cardNumber: 'C-12345678', personId: 'P-1', personName: '张三',
  photo: null, description: null, cameraChannels: [], ...over,
});

function rig(forward?: (a: WatchlistAlert) => Promise<boolean | void>) {
  const events = new CollectingPublisher();
  const forwarded: WatchlistAlert[] = [];
  const service = new WatchlistService(new SqliteWatchlistStore(memoryDatabase()), events, silentLogger(), {
    forwardAlarmUpward: async (a) => {
      forwarded.push(structuredClone(a));
      return forward ? forward(a) : true;
    },
  });
  return { service, events, forwarded };
}

describe('watchlist', () => {
  test('a record matching a card raises one alert at once: stored, published masked, forwarded upward whole', async () => {
    const { service, events, forwarded } = rig();
    const entry = await service.createEntry({ kind: 'card', value: 'C-12345678', reason: 'stolen card', priority: 1 });
    await service.createEntry({ kind: 'person', value: 'P-other', reason: 'x', priority: 3 });
    const started = performance.now();
    const alerts = await service.check(record());
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `${elapsed} ms`);
    assert.equal(alerts.length, 1);
    const alert = alerts[0]!;
    assert.deepEqual([alert.entryId, alert.recordId, alert.buildingId, alert.priority, alert.state, alert.forwarded], [entry.id, 'r1', 'B1', 1, 'open', true]);
    assert.equal(events.events.length, 1);
    assert.equal(events.events[0]?.topic, 'watchlist.alert');
    assert.equal((events.events[0]?.data.alert as WatchlistAlert).value, '******5678');
    assert.equal(forwarded[0]?.value, 'C-12345678');
    assert.equal((await service.getAlert(alert.id)).forwarded, true);
  });

  test('a person match and a card match on one record are two alerts; no identifiers, no alert', async () => {
    const { service } = rig();
    await service.createEntry({ kind: 'card', value: 'C-12345678', reason: 'a', priority: 2 });
    await service.createEntry({ kind: 'person', value: 'P-1', reason: 'b', priority: 2 });
    assert.equal((await service.check(record())).length, 2);
    assert.equal((await service.check(record({ id: 'r2', cardNumber: null, personId: null }))).length, 0);
    assert.equal((await service.check(record({ id: 'r3', cardNumber: 'C-other', personId: 'P-other' }))).length, 0);
  });

  test('an alert no upper platform took stays unforwarded; a failing forwarder does not lose the alert', async () => {
    const none = rig(async () => false);
    await none.service.createEntry({ kind: 'person', value: 'P-1', reason: 'x', priority: 2 });
    assert.equal((await none.service.check(record()))[0]?.forwarded, false);
    const failing = rig(async () => {
      throw new Error('cascade down');
    });
    await failing.service.createEntry({ kind: 'person', value: 'P-1', reason: 'x', priority: 2 });
    const [alert] = await failing.service.check(record());
    assert.ok(alert);
    assert.equal((await failing.service.getAlert(alert.id)).state, 'open');
  });

  test('entries: duplicates refused, reason and priority changed, removal stops matching', async () => {
    const { service } = rig();
    const entry = await service.createEntry({ kind: 'card', value: 'C-1', reason: 'a', priority: 2 });
    await assert.rejects(service.createEntry({ kind: 'card', value: 'C-1', reason: 'b', priority: 2 }), /already/);
    const updated = await service.updateEntry(entry.id, { priority: 4, reason: 'lower' });
    assert.deepEqual([updated.priority, updated.reason, updated.value], [4, 'lower', 'C-1']);
    await service.deleteEntry(entry.id);
    await assert.rejects(service.deleteEntry(entry.id), /does not exist/);
    assert.equal((await service.check(record({ cardNumber: 'C-1' }))).length, 0);
  });

  test('alerts are acknowledged, then closed with a note; closing twice is refused', async () => {
    const { service } = rig();
    await service.createEntry({ kind: 'person', value: 'P-1', reason: 'x', priority: 2 });
    const [alert] = await service.check(record());
    const acked = await service.acknowledge(alert!.id, 'desk 1');
    assert.deepEqual([acked.state, acked.acknowledgedBy], ['acknowledged', 'desk 1']);
    await assert.rejects(service.acknowledge(alert!.id, 'desk 2'), /acknowledged/);
    const closed = await service.close(alert!.id, 'desk 1', 'false alarm');
    assert.deepEqual([closed.state, closed.note, closed.closedBy], ['closed', 'false alarm', 'desk 1']);
    await assert.rejects(service.close(alert!.id, 'x', 'y'), /already closed/);
    assert.equal((await service.listAlerts({ state: 'closed', offset: 0, limit: 10 })).total, 1);
    assert.equal((await service.listAlerts({ buildingId: 'B1', offset: 0, limit: 10 })).total, 1);
  });

  test('the alarm sent upward names the door host, AlarmMethod 7 and the entry', () => {
    const alarm = watchlistAlarm({
      id: 'a', entryId: 'e', kind: 'card', value: 'C-1', reason: 'stolen', priority: 1, recordId: 'r', buildingId: 'B1',
      deviceId: '34020000001240000001', doorId: null, eventTime: 5, raisedAt: 6, state: 'open', acknowledgedAt: null,
      acknowledgedBy: null, closedAt: null, closedBy: null, note: null, forwarded: false,
    });
    assert.deepEqual([alarm.deviceId, alarm.method, alarm.priority, alarm.time], ['34020000001240000001', 7, 1, 5]);
    assert.match(alarm.description ?? '', /card=C-1: stolen/);
  });
});
