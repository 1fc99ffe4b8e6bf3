/**
 * Alarms end to end: a simulated camera raises alarms over real sockets; the platform answers the
 * Response Alarm, stores them, and pushes them to SSE clients and signed webhooks.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verifyWebhookSignature } from '../../src/events/signature';
import { SimDevice } from '../sim/device';
import type { SimDeviceOptions } from '../sim/types';
import { SseClient } from '../events/sse-client';
import type { AlarmRecord } from '../../src/alarms/store/port';
import { WebhookReceiver } from '../events/webhook-receiver';
import { API_TOKEN, PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

/** An alarm as /api/v1/alarms lists it: the stored record. */
type AlarmView = AlarmRecord;

describe('alarms', () => {
  let server: TestServer;
  let cam: SimDevice;
  const sims: SimDevice[] = [];
  const receivers: WebhookReceiver[] = [];
  const streams: SseClient[] = [];
  const sim = (options: Partial<SimDeviceOptions> & { deviceId: string }) => {
    const d = new SimDevice({
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      kind: 'ipc',
      timers: { t1Ms: 100, maxTransmissions: 4 },
      ...options,
    });
    sims.push(d);
    return d;
  };
  const stream = async (query: string, headers: Record<string, string> = {}) => {
    const s = await SseClient.open(`http://127.0.0.1:${server.httpPort}/api/v1/events/stream${query}`, { authorization: `Bearer ${API_TOKEN}`, ...headers });
    streams.push(s);
    return s;
  };
  const alarms = async (query: string) => (await (await server.api(`/api/v1/alarms?${query}`)).json()) as { total: number; items: AlarmView[] };

  before(async () => {
    server = await startTestServer({ 'events.webhookBackoffMs': 100, 'events.webhookMaxBackoffMs': 400, 'events.webhookAttempts': 4, 'events.webhookTimeoutMs': 1000 });
    cam = sim({ deviceId: '34020000001320000101' });
    await cam.start();
    assert.equal((await cam.register()).status, 200);
  });
  after(async () => {
    for (const s of streams) s.close();
    await Promise.all(receivers.map((r) => r.stop()));
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('a camera alarm is answered with Response Alarm OK, stored with every field, and listed', async () => {
    const emitted = new Promise<{ id: string }>((resolve) => server.app.alarms.once('alarm', resolve));
    const outcome = await cam.raiseAlarm({
      priority: 2,
      method: 5,
      type: 6,
      eventType: 1,
      time: '2024-05-17T14:07:33',
      description: '区域入侵',
      longitude: 116.397128,
      latitude: 39.916527,
    });
    assert.equal(outcome.status, 200);
    assert.ok(outcome.response, 'the platform sent a Response Alarm');
    assert.equal(outcome.response.sn, String(outcome.sn));
    assert.equal(outcome.response.result, 'OK');
    assert.equal(outcome.response.deviceId, cam.deviceId);

    const alarm = await emitted;
    const page = await alarms(`deviceId=${cam.deviceId}`);
    const stored = page.items.find((a) => a.id === alarm.id);
    assert.ok(stored);
    assert.equal(stored.priority, 2);
    assert.equal(stored.method, 5);
    assert.equal(stored.type, 6);
    assert.equal(stored.eventType, 1);
    assert.equal(stored.description, '区域入侵');
    assert.equal(stored.time, Date.parse('2024-05-17T06:07:33Z'), 'AlarmTime is read as Asia/Shanghai local time');
    assert.equal(stored.longitude, 116.397128);
    assert.equal(stored.via, 'message');
    const one = (await (await server.api(`/api/v1/alarms/${alarm.id}`)).json()) as AlarmView;
    assert.deepEqual(one, stored);
    assert.equal((await server.api('/api/v1/alarms/al-unknown')).status, 404);
  });

  test('alarm times in the forms devices send are all read, and filters narrow the list', async () => {
    const forms: Array<[string, number]> = [
      ['2024-5-7 8:05:09', Date.parse('2024-05-07T00:05:09Z')],
      ['2024/05/07 08:05:10', Date.parse('2024-05-07T00:05:10Z')],
      ['20240507T080511', Date.parse('2024-05-07T00:05:11Z')],
      ['2024-05-07T08:05:12.250+08:00', Date.parse('2024-05-07T00:05:12.250Z')],
    ];
    for (const [text] of forms) assert.ok((await cam.raiseAlarm({ time: text, priority: 4, method: 2, type: 3 })).response);
    const page = await alarms(`deviceId=${cam.deviceId}&priority=4&type=3&from=2024-05-07T00:00:00Z&to=2024-05-08T00:00:00Z`);
    assert.equal(page.total, forms.length);
    assert.deepEqual(page.items.map((a) => a.time).sort(), forms.map(([, ms]) => ms).sort());
    assert.ok(page.items.every((a) => a.priority === 4 && a.type === 3));

    const garbled = await cam.raiseAlarm({ time: 'yesterday at noon', priority: 3 });
    assert.ok(garbled.response, 'an unreadable AlarmTime is still answered');
    const latest = (await alarms(`deviceId=${cam.deviceId}&priority=3`)).items[0];
    assert.ok(latest && Math.abs(latest.time - Date.now()) < 10_000, 'the receive time stands in for it');
    assert.equal(latest.timeText, 'yesterday at noon');
  });

  test('an SSE client gets the alarm within 1 s, and a reconnect with Last-Event-ID replays what it missed', async () => {
    const client = await stream('?topics=alarm.*');
    assert.equal(client.status, 200);
    assert.match(client.headers?.get('content-type') ?? '', /text\/event-stream/);
    await client.waitFor((f) => f.comments.includes('connected'), 2000, 'the connected comment');
    const started = Date.now();
    await cam.raiseAlarm({ description: 'sse-1', priority: 1 });
    const frame = await client.waitFor((f) => (f.data ?? '').includes('sse-1'), 1000, 'the alarm event');
    assert.ok(Date.now() - started < 1000);
    const event = JSON.parse(frame.data ?? '{}') as { id: string; topic: string; data: AlarmView };
    assert.equal(event.topic, 'alarm.received');
    assert.equal(frame.id, event.id);
    assert.equal(event.data.deviceId, cam.deviceId);
    client.close();

    await cam.raiseAlarm({ description: 'sse-2' });
    server.app.events.publish('fault.opened', { ticket: 'x' });
    const resumed = await stream('', { 'last-event-id': event.id });
    const replayed = await resumed.waitFor((f) => (f.data ?? '').includes('sse-2'), 2000, 'the missed alarm');
    assert.ok(Number(replayed.id) > Number(event.id));
    await resumed.waitFor((f) => (f.data ?? '').includes('fault.opened'), 2000, 'the missed fault event (no topic filter)');
    assert.ok(!resumed.events().some((e) => e.id === event.id), 'nothing before Last-Event-ID comes again');

    const filtered = await stream('?topics=fault.*&lastEventId=' + event.id);
    await filtered.waitFor((f) => (f.data ?? '').includes('fault.opened'), 2000, 'the fault event');
    assert.ok(!filtered.events().some((e) => e.topic.startsWith('alarm.')), 'topics filter the replay');
  });

  test('a webhook receiver gets the alarm signed with its secret', async () => {
    const receiver = new WebhookReceiver(() => 200);
    receivers.push(receiver);
    const url = await receiver.start();
    const secret = 'receiver-secret-0123456789';
    const res = await server.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url, topics: ['alarm.*'], secret }) });
    assert.equal(res.status, 201);
    const hook = (await res.json()) as { id: string; secret: string };
    assert.equal(hook.secret, secret);

    await cam.raiseAlarm({ description: 'hooked' });
    server.app.events.publish('fault.opened', { ticket: 'not for this hook' });
    const got = await waitFor(() => receiver.received.find((r) => r.body.toString().includes('hooked')), 3000, 'the webhook POST');
    const signature = got.headers['x-gbvms-signature'];
    assert.equal(typeof signature, 'string');
    assert.ok(verifyWebhookSignature(secret, got.body, signature as string));
    assert.equal(signature, `sha256=${createHmac('sha256', secret).update(got.body).digest('hex')}`);
    assert.ok(!verifyWebhookSignature('another-secret-0123456789', got.body, signature as string));
    const event = JSON.parse(got.body.toString()) as { id: string; topic: string };
    assert.equal(got.headers['x-gbvms-event-id'], event.id);
    assert.equal(event.topic, 'alarm.received');
    assert.match(String(got.headers['content-type']), /application\/json/);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(receiver.received.every((r) => !r.body.toString().includes('not for this hook')), 'topics filter webhooks');

    const listed = (await (await server.api('/api/v1/webhooks')).json()) as { items: Array<{ id: string; secret?: string }> };
    const mine = listed.items.find((h) => h.id === hook.id);
    assert.ok(mine);
    assert.equal(mine.secret, undefined, 'the secret is shown only at creation');
    assert.equal((await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await server.api(`/api/v1/webhooks/${hook.id}`)).status, 404);
  });

  test('a failing receiver gets retries with growing waits until it accepts, and the delivery log shows it', async () => {
    const receiver = new WebhookReceiver((count) => (count <= 2 ? 500 : 200));
    receivers.push(receiver);
    const url = await receiver.start();
    const created = (await (await server.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url, topics: ['alarm.received'] }) })).json()) as { id: string; secret: string };
    assert.ok(created.secret.length >= 16, 'a secret is generated');
    await cam.raiseAlarm({ description: 'retried' });
    await waitFor(() => receiver.received.some((r) => r.status === 200), 5000, 'the successful attempt');
    const attempts = receiver.received.filter((r) => r.body.toString().includes('retried'));
    assert.deepEqual(attempts.map((a) => a.status), [500, 500, 200]);
    assert.ok(attempts[0] && attempts[1] && attempts[2]);
    assert.ok(attempts[1].at - attempts[0].at >= 90, 'first wait ~100 ms');
    assert.ok(attempts[2].at - attempts[1].at >= 190, 'second wait doubled');
    assert.equal(new Set(attempts.map((a) => a.headers['x-gbvms-event-id'])).size, 1, 'every attempt carries the same event id');
    assert.ok(attempts.every((a) => verifyWebhookSignature(created.secret, a.body, a.headers['x-gbvms-signature'] as string)));

    const view = await waitFor(async () => {
      const v = (await (await server.api(`/api/v1/webhooks/${created.id}`)).json()) as { delivery: { delivered: number; failed: number; lastStatus: number; consecutiveFailures: number; recent: Array<{ status: number }> } };
      return v.delivery.delivered === 1 ? v : null;
    }, 2000, 'the delivery log');
    assert.equal(view.delivery.lastStatus, 200);
    assert.equal(view.delivery.failed, 0);
    assert.equal(view.delivery.consecutiveFailures, 0);
    assert.deepEqual(view.delivery.recent.map((r) => r.status), [500, 500, 200]);
    await server.api(`/api/v1/webhooks/${created.id}`, { method: 'DELETE' });
  });

  test('a receiver that never accepts is given up after the configured attempts; publishing never waits', async () => {
    const receiver = new WebhookReceiver(() => 503);
    receivers.push(receiver);
    const url = await receiver.start();
    const created = (await (await server.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url, topics: ['test.*'] }) })).json()) as { id: string };
    const t0 = performance.now();
    server.app.events.publish('test.dead', { n: 1 });
    assert.ok(performance.now() - t0 < 50, 'publish returns at once');
    const view = await waitFor(async () => {
      const v = (await (await server.api(`/api/v1/webhooks/${created.id}`)).json()) as { delivery: { failed: number; lastStatus: number; lastError: string } };
      return v.delivery.failed === 1 ? v : null;
    }, 5000, 'the event given up');
    assert.equal(receiver.received.length, 4);
    assert.equal(view.delivery.lastStatus, 503);
    assert.match(view.delivery.lastError, /503/);
    await server.api(`/api/v1/webhooks/${created.id}`, { method: 'DELETE' });
  });

  test('an alarm in a NOTIFY outside any dialog is taken too (some devices send it so)', async () => {
    const outcome = await cam.raiseAlarm({ via: 'notify-outside', description: 'outside', type: 2, typeAtTop: true });
    assert.equal(outcome.status, 200);
    const stored = await waitFor(async () => (await alarms(`deviceId=${cam.deviceId}`)).items.find((a) => a.description === 'outside'), 2000, 'the stored alarm');
    assert.equal(stored.via, 'notify');
    assert.equal(stored.type, 2, 'a top-level AlarmType (2016 devices) is read');
  });

  test('bad input: unknown devices and broken XML get a clear 4xx and the server carries on', async () => {
    const stranger = sim({ deviceId: '34020000001320000199' });
    await stranger.start();
    const unknown = await stranger.raiseAlarm({ responseTimeoutMs: 300 });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.response, null);
    const unknownNotify = await stranger.raiseAlarm({ via: 'notify-outside' });
    assert.equal(unknownNotify.status, 403);

    const broken = await cam.raiseAlarm({ rawBody: Buffer.from('<?xml version="1.0"?><Notify><CmdType>Alarm</CmdType><SN>1<SN></Notify'), responseTimeoutMs: 300 });
    assert.equal(broken.status, 400);
    const brokenNotify = await cam.raiseAlarm({ via: 'notify-outside', rawBody: Buffer.from('<Notify><CmdType>Alarm') });
    assert.equal(brokenNotify.status, 400);
    const before = (await alarms(`deviceId=${cam.deviceId}`)).total;
    assert.ok((await cam.raiseAlarm({ description: 'still fine' })).response);
    assert.equal((await alarms(`deviceId=${cam.deviceId}`)).total, before + 1);
    assert.equal((await server.api('/api/v1/alarms?priority=high')).status, 400);
    assert.equal((await server.api('/api/v1/events/stream?topics=alarm.**')).status, 400);
    assert.equal((await server.api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: 'ftp://x/y' }) })).status, 400);
  });

  test('stopping the server ends open SSE streams cleanly', async () => {
    const client = await stream('');
    await client.waitFor((f) => f.comments.includes('connected'), 2000, 'connected');
    const stopping = server.stop();
    await client.waitEnd(2000);
    await stopping;
    assert.equal(server.app.events.listenerCount, 0);
  });
});
