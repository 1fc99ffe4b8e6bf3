import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { EventHub } from '../../src/events/event-hub';
import type { StoredWebhook, WebhookDeliveryStats, WebhookStore } from '../../src/events/store/port';
import { Webhooks, type WebhookOptions } from '../../src/events/webhooks';
import { silentLogger } from '../../src/logger';
import { waitFor } from '../helpers/server';
import { WebhookReceiver } from './webhook-receiver';

class MemoryWebhookStore implements WebhookStore {
  readonly hooks = new Map<string, StoredWebhook>();
  async init(): Promise<void> {}
  async create(hook: StoredWebhook): Promise<void> {
    if (this.hooks.has(hook.id)) throw new Error('exists');
    this.hooks.set(hook.id, structuredClone(hook));
  }
  async list(): Promise<StoredWebhook[]> {
    return [...this.hooks.values()].map((h) => structuredClone(h));
  }
  async get(id: string): Promise<StoredWebhook | null> {
    const h = this.hooks.get(id);
    return h ? structuredClone(h) : null;
  }
  async delete(id: string): Promise<boolean> {
    return this.hooks.delete(id);
  }
  async saveDelivery(id: string, stats: WebhookDeliveryStats): Promise<void> {
    const h = this.hooks.get(id);
    if (h) h.delivery = { ...stats };
  }
}

const OPTIONS: WebhookOptions = { attempts: 3, backoffMs: 30, maxBackoffMs: 100, timeoutMs: 300, queueLimit: 100, reloadMs: 60_000 };

describe('webhook delivery', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const setup = async (options: Partial<WebhookOptions> = {}) => {
    const hub = new EventHub({ ringSize: 100, logger: silentLogger() });
    const store = new MemoryWebhookStore();
    const webhooks = new Webhooks(hub, store, { ...OPTIONS, ...options }, silentLogger());
    await webhooks.start();
    cleanups.push(() => webhooks.close(), () => hub.close());
    return { hub, store, webhooks };
  };
  const receiver = async (answer?: (n: number) => number) => {
    const r = new WebhookReceiver(answer);
    cleanups.push(() => r.stop());
    return { r, url: await r.start() };
  };

  test('events reach each webhook in publish order, one at a time', async () => {
    const { hub, webhooks } = await setup();
    const { r, url } = await receiver();
    await webhooks.create({ url, topics: [] });
    for (let i = 0; i < 20; i++) hub.publish('order.test', { i });
    await waitFor(() => r.received.length === 20, 3000, '20 deliveries');
    assert.deepEqual(r.received.map((x) => (JSON.parse(x.body.toString()) as { data: { i: number } }).data.i), [...Array(20).keys()]);
  });

  test('a receiver that does not answer in time counts as a failed attempt (status 0) and is retried', async () => {
    const { hub, webhooks, store } = await setup({ attempts: 2 });
    const server: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const hook = await webhooks.create({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, topics: ['slow.*'] });
    hub.publish('slow.one', {});
    const stored = await waitFor(async () => ((await store.get(hook.id))?.delivery.failed === 1 ? store.get(hook.id) : null), 10_000, 'the event given up'); // ~0.7 s alone; the full suite can stall a test for seconds
    assert.equal(stored?.delivery.lastStatus, 0);
    assert.match(stored?.delivery.lastError ?? '', /no answer within 300 ms/);
    const view = await webhooks.get(hook.id);
    assert.deepEqual(view.delivery.recent.map((a) => a.attempt), [1, 2]);
  });

  test('a refused connection is a failed attempt with the reason', async () => {
    const { hub, webhooks } = await setup({ attempts: 1 });
    const { r, url } = await receiver();
    await r.stop();
    const hook = await webhooks.create({ url, topics: [] });
    hub.publish('refused.one', {});
    const view = await waitFor(async () => {
      const v = await webhooks.get(hook.id);
      return v.delivery.failed === 1 ? v : null;
    }, 3000, 'the failure');
    assert.equal(view.delivery.lastStatus, 0);
    assert.ok((view.delivery.lastError ?? '').length > 0);
  });

  test('a full queue drops its oldest events, counted as failed', async () => {
    const { hub, webhooks } = await setup({ queueLimit: 3, attempts: 1 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server: Server = createServer((req, res) => {
      req.resume();
      void gate.then(() => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const hook = await webhooks.create({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, topics: [] });
    for (let i = 0; i < 10; i++) hub.publish('flood.x', { i });
    const view = await webhooks.get(hook.id);
    assert.equal(view.delivery.failed, 7, 'three kept, seven dropped');
    await waitFor(async () => (await webhooks.get(hook.id)).delivery.pending === 2, 2000, 'one taken into flight');
    hub.publish('flood.x', { i: 10 });
    assert.equal((await webhooks.get(hook.id)).delivery.failed, 7, 'room again for one');
    release();
  });

  test('removing a webhook stops its retries; closing stops everything', async () => {
    const { hub, webhooks } = await setup({ attempts: 5, backoffMs: 200, maxBackoffMs: 200 });
    const { r, url } = await receiver(() => 500);
    const hook = await webhooks.create({ url, topics: [] });
    hub.publish('gone.x', {});
    await waitFor(() => r.received.length === 1, 2000, 'the first attempt');
    await webhooks.delete(hook.id);
    await new Promise((res) => setTimeout(res, 400));
    assert.equal(r.received.length, 1);
    await assert.rejects(webhooks.get(hook.id), /not known/);
    await assert.rejects(webhooks.delete(hook.id), /not known/);
    webhooks.close();
    hub.publish('after.close', {});
    assert.deepEqual(await webhooks.list(), []);
  });
});
