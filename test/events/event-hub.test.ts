import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventHub } from '../../src/events/event-hub';
import { EventRing } from '../../src/events/event-ring';
import { formatSseEvent, readLastEventId } from '../../src/events/sse';
import type { PlatformEvent } from '../../src/events/types';
import { silentLogger } from '../../src/logger';

const hub = (ringSize = 100) => new EventHub({ ringSize, logger: silentLogger() });

describe('event hub', () => {
  test('ids increase with every event, and start from the clock so they keep increasing across restarts', () => {
    const h = hub();
    const before = Date.now() * 1000;
    const ids = Array.from({ length: 50 }, (_, i) => Number(h.publish('test.n', { i }).id));
    for (let i = 1; i < ids.length; i++) assert.ok((ids[i] ?? 0) > (ids[i - 1] ?? 0));
    assert.ok((ids[0] ?? 0) >= before);
    const later = hub();
    assert.ok(Number(later.publish('test.n', {}).id) > (ids[ids.length - 1] ?? 0) - 1000 * 1000, 'a new hub does not start below the old one (same ms or later)');
  });

  test('listeners get matching events in order; one that throws does not stop the others or the publisher', () => {
    const h = hub();
    const seen: string[] = [];
    h.subscribe(['alarm.*'], () => {
      throw new Error('boom');
    });
    h.subscribe(['alarm.*'], (e) => seen.push(e.topic));
    const all: string[] = [];
    const sub = h.subscribe([], (e) => all.push(e.topic));
    h.publish('alarm.received', {});
    h.publish('fault.opened', {});
    h.publish('alarm.cleared', {});
    assert.deepEqual(seen, ['alarm.received', 'alarm.cleared']);
    assert.deepEqual(all, ['alarm.received', 'fault.opened', 'alarm.cleared']);
    sub.close();
    h.publish('alarm.received', {});
    assert.equal(all.length, 3);
  });

  test('replay returns what came after an id, filtered, and flags a gap when the ring dropped some', () => {
    const h = hub(5);
    const events = Array.from({ length: 8 }, (_, i) => h.publish(i % 2 === 0 ? 'alarm.received' : 'fault.opened', { i }));
    const e5 = events[5] as PlatformEvent;
    const after5 = h.replay(Number(e5.id), []);
    assert.deepEqual(after5.events.map((e) => e.data.i), [6, 7]);
    assert.equal(after5.gap, false);
    const fromStart = h.replay(Number((events[0] as PlatformEvent).id), ['alarm.*']);
    assert.equal(fromStart.gap, true, 'events 1 and 2 fell out of a ring of 5');
    assert.deepEqual(fromStart.events.map((e) => e.data.i), [4, 6]);
    assert.deepEqual(h.recent(['fault.*'], 1).map((e) => e.data.i), [7]);
  });

  test('close ends delivery and runs close handlers once; publishing after it still answers', () => {
    const h = hub();
    let closed = 0;
    h.onClose(() => closed++);
    const seen: string[] = [];
    h.subscribe([], (e) => seen.push(e.topic));
    h.close();
    h.close();
    assert.equal(closed, 1);
    const e = h.publish('late.event', {});
    assert.equal(e.topic, 'late.event');
    assert.deepEqual(seen, []);
    let immediate = 0;
    h.onClose(() => immediate++);
    assert.equal(immediate, 1, 'a handler added after close runs at once');
  });

  test('a client that saw the last event before a pause gets no gap: ids jump with the clock, nothing was dropped', () => {
    const ring = new EventRing(3);
    ring.push({ id: '1000000', topic: 't', time: 1000, data: {} });
    ring.push({ id: '5000000', topic: 't', time: 5000, data: {} });
    assert.deepEqual(ring.after(1000000), { events: [{ id: '5000000', topic: 't', time: 5000, data: {} }], gap: false });
    for (const id of ['6000000', '7000000']) ring.push({ id, topic: 't', time: 0, data: {} });
    assert.equal(ring.after(1000000).gap, false, 'event 1000000 fell out of the ring, but the client had it');
    assert.equal(ring.after(999999).gap, true, 'event 1000000 was missed for good');
    assert.equal(ring.after(5000000).gap, false);
  });

  test('the ring keeps the newest events, oldest first', () => {
    const ring = new EventRing(3);
    for (let i = 1; i <= 5; i++) ring.push({ id: String(i), topic: 't', time: i, data: {} });
    assert.deepEqual(ring.all().map((e) => e.id), ['3', '4', '5']);
    assert.equal(ring.size, 3);
    assert.throws(() => new EventRing(0), RangeError);
  });

  test('an SSE frame carries the id and the whole event as one JSON data line', () => {
    const frame = formatSseEvent({ id: '42', topic: 'alarm.received', time: 1, data: { text: 'two\nlines' } });
    assert.equal(frame, 'id: 42\ndata: {"id":"42","topic":"alarm.received","time":1,"data":{"text":"two\\nlines"}}\n\n');
    assert.equal(readLastEventId('1732600000000000'), 1732600000000000);
    assert.equal(readLastEventId([' 7 ']), 7);
    for (const bad of [undefined, null, '', 'abc', '-1', '1e5', '99999999999999999']) assert.equal(readLastEventId(bad), null, String(bad));
  });
});
