import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { EventHub } from '../../src/events/event-hub';
import { readLastEventId, serveSse } from '../../src/events/sse';
import { parseTopicFilter } from '../../src/events/topic-filter';
import { silentLogger } from '../../src/logger';
import { SseClient } from './sse-client';

describe('server-sent events stream', () => {
  let hub: EventHub;
  let server: Server;
  let base = '';
  const clients: SseClient[] = [];
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const c = await SseClient.open(`${base}/stream${query}`, headers);
    clients.push(c);
    return c;
  };

  before(async () => {
    hub = new EventHub({ ringSize: 100, logger: silentLogger() });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      serveSse(hub, parseTopicFilter(url.searchParams.get('topics')) ?? [], req, res, {
        heartbeatMs: 50,
        lastEventId: readLastEventId(req.headers['last-event-id']),
        maxBufferedBytes: 64 * 1024,
        logger: silentLogger(),
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    for (const c of clients) c.close();
    hub.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('heartbeat comments flow while no event comes', async () => {
    const c = await open();
    await c.waitFor((f) => f.comments.includes('heartbeat'), 1000, 'a heartbeat');
    const beats = () => c.frames.filter((f) => f.comments.includes('heartbeat')).length;
    const first = beats();
    await new Promise((r) => setTimeout(r, 160));
    assert.ok(beats() >= first + 2);
    c.close();
  });

  const settle = async (count: number) => {
    const deadline = Date.now() + 2000;
    while (hub.listenerCount !== count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(hub.listenerCount, count);
  };

  test('a client that disconnects is unsubscribed from the hub', async () => {
    await settle(0);
    const baseline = hub.listenerCount;
    const c = await open('?topics=x.*');
    await c.waitFor((f) => f.comments.includes('connected'), 1000, 'connected');
    assert.equal(hub.listenerCount, baseline + 1);
    c.close();
    await settle(baseline);
  });

  test('a Last-Event-ID older than the ring gets a gap frame before the replay', async () => {
    const first = hub.publish('x.one', {});
    for (let i = 0; i < 120; i++) hub.publish('x.many', { i });
    const c = await open('', { 'last-event-id': first.id });
    await c.waitFor((f) => f.event === 'gap', 1000, 'the gap frame');
    await c.waitFor((f) => (f.data ?? '').includes('"i":119'), 1000, 'the newest event');
    assert.equal(c.events().length, 100, 'the whole ring is replayed');
    c.close();
  });

  test('a client that does not read is dropped instead of growing memory, and publishing never waits', async () => {
    await settle(0);
    const res = await fetch(`${base}/stream?topics=big.*`);
    assert.equal(res.status, 200);
    const baseline = hub.listenerCount;
    assert.equal(baseline, 1);
    const payload = 'x'.repeat(16 * 1024);
    const t0 = performance.now();
    for (let i = 0; i < 2000 && hub.listenerCount >= baseline && hub.listenerCount > 0; i++) hub.publish('big.blob', { payload });
    assert.ok(performance.now() - t0 < 2000);
    const deadline = Date.now() + 3000;
    while (hub.listenerCount >= baseline && Date.now() < deadline) {
      hub.publish('big.blob', { payload });
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(hub.listenerCount < baseline, 'the stalled stream was dropped');
    await res.body?.cancel().catch(() => undefined);
  });

  test('closing the hub ends every open stream', async () => {
    const a = await open();
    const b = await open('?topics=alarm.*');
    await a.waitFor((f) => f.comments.includes('connected'), 1000, 'connected');
    await b.waitFor((f) => f.comments.includes('connected'), 1000, 'connected');
    hub.close();
    await a.waitEnd(2000);
    await b.waitEnd(2000);
  });
});
