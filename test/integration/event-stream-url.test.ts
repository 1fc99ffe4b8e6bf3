/**
 * The event stream for browsers: EventSource cannot send the Authorization header, so an
 * authenticated client asks for a signed URL and opens the stream with it, headers-free.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventStreamTokens } from '../../src/api/event-stream-token';
import { SseClient } from '../events/sse-client';
import { API_TOKEN, startTestServer, type TestServer } from '../helpers/server';

describe('event stream URL for EventSource', () => {
  let server: TestServer;
  const clients: SseClient[] = [];
  const base = (): string => `http://127.0.0.1:${server.httpPort}`;
  const streamUrl = async (body: unknown): Promise<Response> =>
    server.api('/api/v1/events/stream-url', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    server = await startTestServer({ 'catalog.queryOnRegister': false });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('a signed URL opens the stream without any header and carries its topics', async () => {
    const res = await streamUrl({ ttlSec: 120, topics: 'test.*' });
    assert.equal(res.status, 200);
    const { url, expiresAt } = (await res.json()) as { url: string; expiresAt: number };
    assert.match(url, /^\/api\/v1\/events\/stream\?access_token=[^&]+&topics=test\.\*$/);
    assert.ok(Math.abs(expiresAt - (Date.now() + 120_000)) < 5000, 'expires after the asked ttl');
    const client = await SseClient.open(`${base()}${url}`, {});
    clients.push(client);
    assert.equal(client.status, 200);
    await client.waitFor((f) => f.comments.includes('connected'), 2000, 'connected');
    server.app.events.publish('other.topic', { n: 0 });
    server.app.events.publish('test.ping', { n: 1 });
    await client.waitFor((f) => f.data !== undefined, 2000, 'the published event');
    assert.deepEqual(
      client.events().map((e) => [e.topic, e.data.n]),
      [['test.ping', 1]],
      'only the URL\'s topics are delivered',
    );
  });

  test('a tampered, expired or missing token is refused with 401 and a JSON error', async () => {
    const { url } = (await (await streamUrl({})).json()) as { url: string };
    const token = new URL(url, base()).searchParams.get('access_token') ?? '';
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const expired = eventStreamTokens(API_TOKEN, () => Date.now() - 3_600_000).sign('gbvms event stream', 60);
    for (const [what, t] of [['tampered', tampered], ['expired', expired], ['garbage', 'x.y']] as const) {
      const res = await fetch(`${base()}/api/v1/events/stream?access_token=${encodeURIComponent(t)}`);
      assert.equal(res.status, 401, what);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unauthorized');
      if (what === 'expired') assert.match(body.error.message, /expired/);
    }
    assert.equal((await fetch(`${base()}/api/v1/events/stream`)).status, 401, 'no token and no header');
  });

  test('the token opens nothing but the event stream', async () => {
    const { url } = (await (await streamUrl({})).json()) as { url: string };
    const token = new URL(url, base()).searchParams.get('access_token') ?? '';
    assert.equal((await fetch(`${base()}/api/v1/devices?access_token=${encodeURIComponent(token)}`)).status, 401);
    assert.equal((await fetch(`${base()}/api/v1/events?access_token=${encodeURIComponent(token)}`)).status, 401);
    const minted = await fetch(`${base()}/api/v1/events/stream-url?access_token=${encodeURIComponent(token)}`, { method: 'POST' });
    assert.equal(minted.status, 401, 'a stream token cannot mint another');
  });

  test('bad requests for a URL get 400', async () => {
    assert.equal((await streamUrl({ ttlSec: 99999 })).status, 400);
    assert.equal((await streamUrl({ topics: 'alarm.**' })).status, 400);
    assert.equal((await streamUrl({ extra: 1 })).status, 400);
    const unauthenticated = await fetch(`${base()}/api/v1/events/stream-url`, { method: 'POST' });
    assert.equal(unauthenticated.status, 401);
  });
});
