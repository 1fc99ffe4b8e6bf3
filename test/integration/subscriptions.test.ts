/**
 * Subscriptions to devices (GB/T 28181-2022 9.11, Annex N) over real sockets: alarm, catalog and
 * mobile-position SUBSCRIBE dialogs, NOTIFYs inside them, refresh before expiry, unsubscribe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimDevice } from '../sim/device';
import type { SimSubscription } from '../sim/subscriptions';
import type { SimDeviceOptions } from '../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

interface SubscriptionView {
  deviceId: string;
  kind: string;
  state: string;
  event: string;
  expiresSec: number;
  expiresAt: number | null;
  intervalSec: number | null;
  notifies: number;
  lastError: string | null;
}
interface ChannelView {
  channelId: string;
  name: string | null;
  status: string;
  present: boolean;
  manufacturer: string | null;
}

describe('device subscriptions', () => {
  let server: TestServer;
  const sims: SimDevice[] = [];
  const sim = (options: Partial<SimDeviceOptions> & { deviceId: string }) => {
    const d = new SimDevice({
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      kind: 'nvr',
      channels: 4,
      timers: { t1Ms: 100, maxTransmissions: 4 },
      ...options,
    });
    sims.push(d);
    return d;
  };
  const online = async (options: Partial<SimDeviceOptions> & { deviceId: string }) => {
    const d = sim(options);
    await d.start();
    assert.equal((await d.register()).status, 200);
    return d;
  };
  const subscribe = (deviceId: string, body: Record<string, unknown>) => server.api(`/api/v1/devices/${deviceId}/subscriptions`, { method: 'POST', body: JSON.stringify(body) });
  const channels = async (deviceId: string, extra = '') => (await (await server.api(`/api/v1/devices/${deviceId}/channels?limit=100${extra}`)).json()) as { total: number; items: ChannelView[] };
  const nextSubscribe = (d: SimDevice, kind: string) => new Promise<SimSubscription>((resolve) => {
    const on = (s: SimSubscription) => {
      if (s.kind !== kind) return;
      d.subscriptions.off('subscribe', on);
      resolve(s);
    };
    d.subscriptions.on('subscribe', on);
  });

  before(async () => {
    server = await startTestServer({ 'events.subscribeCatalogOnRegister': true, 'events.subscriptionRetrySec': 1 });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('an alarm subscription is a SUBSCRIBE with a Query Alarm body; alarms NOTIFYed in it are stored', async () => {
    const cam = await online({ deviceId: '34020000001320000201', kind: 'ipc' });
    const res = await subscribe(cam.deviceId, { kind: 'alarm', expiresSec: 600 });
    assert.equal(res.status, 201);
    const view = (await res.json()) as SubscriptionView;
    assert.equal(view.state, 'active');
    assert.equal(view.event, 'presence');
    assert.ok(view.expiresAt !== null && view.expiresAt > Date.now() + 590_000);
    const [dialog] = cam.subscriptions.list('Alarm');
    assert.ok(dialog, 'the camera holds the subscription');
    assert.equal(dialog.expiresSec, 600);
    assert.match(dialog.bodies[0] ?? '', /<CmdType>Alarm<\/CmdType>/);
    assert.match(dialog.bodies[0] ?? '', /<StartAlarmPriority>0<\/StartAlarmPriority>/);

    const outcome = await cam.raiseAlarm({ via: 'notify', description: 'in dialog', priority: 1, method: 2, type: 1 });
    assert.deepEqual(outcome.statuses, [200]);
    const stored = await waitFor(async () => {
      const page = (await (await server.api(`/api/v1/alarms?deviceId=${cam.deviceId}`)).json()) as { items: Array<{ description: string; via: string; method: number }> };
      return page.items.find((a) => a.description === 'in dialog');
    }, 2000, 'the alarm');
    assert.equal(stored.via, 'notify');
    assert.equal(stored.method, 2);
    assert.equal(cam.subscriptions.alarmResponses.length, 0, 'a NOTIFY is answered by its 200, not by a Response MESSAGE');

    const listed = (await (await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions`)).json()) as { items: SubscriptionView[] };
    assert.equal(listed.items.find((s) => s.kind === 'alarm')?.notifies, 1);
  });

  test('a subscription is refreshed in its dialog before the Expires the device granted runs out, and ended with Expires 0', async () => {
    const cam = await online({ deviceId: '34020000001320000202', kind: 'ipc' });
    cam.subscriptions.maxExpiresSec = 2;
    const refreshed = new Promise<SimSubscription>((resolve) => cam.subscriptions.once('refresh', resolve));
    const res = await subscribe(cam.deviceId, { kind: 'alarm' });
    assert.equal(res.status, 201);
    const view = (await res.json()) as SubscriptionView;
    assert.ok(view.expiresAt !== null && view.expiresAt <= Date.now() + 2_100, 'the granted (shorter) Expires is used');
    // The device holds its answers: the DELETE below comes while the refresh is still in flight.
    cam.subscriptions.answerDelayMs = 300;
    const sub = await refreshed;
    assert.ok(Date.now() < sub.expiresAt, 'refreshed while still valid');
    assert.equal(cam.subscriptions.list('Alarm').length, 1, 'in the same dialog');

    const ended = new Promise<SimSubscription>((resolve) => cam.subscriptions.once('unsubscribe', resolve));
    assert.equal((await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions/alarm`, { method: 'DELETE' })).status, 204);
    await ended;
    // The refresh's late 200 must not bring the subscription back (it once started a new one).
    await new Promise((r) => setTimeout(r, 800));
    cam.subscriptions.answerDelayMs = 0;
    assert.equal(cam.subscriptions.list('Alarm').length, 0);
    const listed = (await (await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions`)).json()) as { items: SubscriptionView[] };
    assert.equal(listed.items.some((s) => s.kind === 'alarm'), false);
    assert.equal((await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions/alarm`, { method: 'DELETE' })).status, 404);
  });

  test('catalog NOTIFYs ADD, DEL, UPDATE, ON, OFF and VLOST change the channel list (subscribed on register by config)', async () => {
    const nvr = sim({ deviceId: '34020000001180000203', channels: 4 });
    const subscribed = nextSubscribe(nvr, 'Catalog');
    await nvr.start();
    assert.equal((await nvr.register()).status, 200);
    const sub = await subscribed;
    assert.match(sub.event, /^Catalog;id=\d+$/);
    await waitFor(async () => (await channels(nvr.deviceId)).total === 4, 5000, 'the catalog');
    const [c0, c1, c2] = nvr.channelIds as [string, string, string, string];
    const added = `${nvr.deviceId.slice(0, 10)}1310009999`;

    const events: Array<{ topic: string; data: Record<string, unknown> }> = [];
    const listener = server.app.events.subscribe(['catalog.*'], (e) => events.push(e));
    assert.deepEqual(await nvr.subscriptions.notifyCatalog([{ channelId: added, event: 'ADD', name: '新增通道' }]), [200]);
    await waitFor(async () => (await channels(nvr.deviceId)).items.some((c) => c.channelId === added), 2000, 'the added channel');

    await nvr.subscriptions.notifyCatalog([
      { channelId: c0, event: 'DEL' },
      { channelId: c1, event: 'OFF' },
      { channelId: c2, event: 'UPDATE', name: '改名通道' },
    ]);
    await waitFor(async () => (await channels(nvr.deviceId)).total === 4, 2000, 'the deleted channel gone');
    let list = await channels(nvr.deviceId);
    assert.ok(!list.items.some((c) => c.channelId === c0));
    assert.equal(list.items.find((c) => c.channelId === c1)?.status, 'OFF');
    const renamed = list.items.find((c) => c.channelId === c2);
    assert.equal(renamed?.name, '改名通道');
    assert.equal(renamed?.manufacturer, 'gbvms-sim', 'fields an UPDATE leaves out are kept');
    const withMissing = await channels(nvr.deviceId, '&includeMissing=true');
    assert.equal(withMissing.items.find((c) => c.channelId === c0)?.present, false, 'a deleted channel is marked, not dropped');
    const device = (await (await server.api(`/api/v1/devices/${nvr.deviceId}`)).json()) as { channelCount: number };
    assert.equal(device.channelCount, 4);

    await nvr.subscriptions.notifyCatalog([{ channelId: c1, event: 'ON' }, { channelId: added, event: 'VLOST' }]);
    await waitFor(async () => (await channels(nvr.deviceId)).items.find((c) => c.channelId === c1)?.status === 'ON', 2000, 'ON applied');
    list = await channels(nvr.deviceId);
    assert.equal(list.items.find((c) => c.channelId === added)?.status, 'OFF', 'VLOST counts as off');

    // The same change by MESSAGE (devices that notify without a subscription).
    assert.deepEqual(await nvr.subscriptions.notifyCatalog([{ channelId: c1, event: 'OFF' }], 'message'), [200]);
    await waitFor(async () => (await channels(nvr.deviceId)).items.find((c) => c.channelId === c1)?.status === 'OFF', 2000, 'OFF by MESSAGE');
    listener.close();
    assert.ok(events.length >= 4);
    assert.ok(events.every((e) => e.topic === 'catalog.changed' && e.data.deviceId === nvr.deviceId));
    assert.deepEqual((events[1]?.data.changes as Array<{ event: string }>).map((c) => c.event), ['DEL', 'OFF', 'UPDATE']);
  });

  test('mobile positions (2022 list and 2016 single form) are stored as a track and queried by time', async () => {
    const car = await online({ deviceId: '34020000001320000204', kind: 'ipc' });
    const res = await subscribe(car.deviceId, { kind: 'mobilePosition', intervalSec: 2 });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as SubscriptionView).intervalSec, 2);
    const [sub] = car.subscriptions.list('MobilePosition');
    assert.match(sub?.bodies[0] ?? '', /<Interval>2<\/Interval>/);

    const published: Array<Record<string, unknown>> = [];
    const listener = server.app.events.subscribe(['position.updated'], (e) => published.push(e.data));
    const t = Date.parse('2024-06-01T02:00:00Z');
    const statuses = await car.subscriptions.sendPositions([
      { time: new Date(t), longitude: 116.1, latitude: 39.1, speed: 40, direction: 90, altitude: 50 },
      { time: new Date(t + 5000), longitude: 116.2, latitude: 39.2 },
      { time: new Date(t + 10_000), longitude: 0, latitude: 0 },
    ]);
    assert.deepEqual(statuses, [200]);
    assert.deepEqual(await car.subscriptions.sendPositions([{ time: new Date(t + 15_000), longitude: 116.3, latitude: 39.3 }], { via: 'message', form: '2016' }), [200]);
    const track = await waitFor(async () => {
      const r = (await (await server.api(`/api/v1/devices/${car.deviceId}/positions?from=${t}&to=${t + 60_000}`)).json()) as { items: Array<{ time: number; longitude: number; speed: number | null; direction: number | null; altitude: number | null }> };
      return r.items.length === 3 ? r.items : null;
    }, 2000, 'three positions (the 0,0 one is no fix)');
    assert.deepEqual(track.map((p) => p.time), [t, t + 5000, t + 15_000]);
    assert.deepEqual(track.map((p) => p.longitude), [116.1, 116.2, 116.3]);
    assert.equal(track[0]?.speed, 40);
    assert.equal(track[0]?.direction, 90);
    assert.equal(track[0]?.altitude, 50);
    const window = (await (await server.api(`/api/v1/devices/${car.deviceId}/positions?from=${t + 1}&to=${t + 15_000}`)).json()) as { items: unknown[] };
    assert.equal(window.items.length, 1, 'from inclusive, to exclusive');
    listener.close();
    assert.equal(published.length, 3);
    assert.equal(published[0]?.deviceId, car.deviceId);
    assert.equal((await server.api(`/api/v1/devices/${car.deviceId}/positions?from=tomorrow`)).status, 400);
  });

  test('a device that refuses, is unknown or offline gets a clear API error; a device that ends a subscription is asked again', async () => {
    const cam = await online({ deviceId: '34020000001320000205', kind: 'ipc' });
    cam.subscriptions.refuse.add('MobilePosition');
    const refused = await subscribe(cam.deviceId, { kind: 'mobilePosition' });
    assert.equal(refused.status, 502);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /400/);
    const kept = (await (await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions`)).json()) as { items: SubscriptionView[] };
    assert.ok(!kept.items.some((s) => s.kind === 'mobilePosition'), 'a refused subscription is not kept');
    assert.equal((await subscribe('34020000001320000299', { kind: 'alarm' })).status, 404);
    assert.equal((await subscribe(cam.deviceId, { kind: 'weather' })).status, 400);

    assert.equal((await subscribe(cam.deviceId, { kind: 'alarm' })).status, 201);
    const again = nextSubscribe(cam, 'Alarm');
    assert.deepEqual(await cam.subscriptions.terminate('Alarm'), [200]);
    await again;
    await waitFor(async () => {
      const v = (await (await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions`)).json()) as { items: SubscriptionView[] };
      return v.items.find((s) => s.kind === 'alarm')?.state === 'active';
    }, 3000, 'subscribed again');
  });

  test('subscriptions wait while the device is offline and are asked for again when it registers', async () => {
    const cam = await online({ deviceId: '34020000001320000207', kind: 'ipc' });
    assert.equal((await subscribe(cam.deviceId, { kind: 'alarm' })).status, 201);
    assert.equal((await cam.unregister()).status, 200);
    const state = async (kind: string) => ((await (await server.api(`/api/v1/devices/${cam.deviceId}/subscriptions`)).json()) as { items: SubscriptionView[] }).items.find((s) => s.kind === kind)?.state;
    await waitFor(async () => (await state('alarm')) === 'waiting-device', 2000, 'waiting for the device');
    assert.equal((await subscribe(cam.deviceId, { kind: 'mobilePosition' })).status, 409, 'an offline device cannot be subscribed');

    const again = nextSubscribe(cam, 'Alarm');
    assert.equal((await cam.register()).status, 200);
    await again;
    await waitFor(async () => (await state('alarm')) === 'active', 2000, 'active again');
    const alarm = await cam.raiseAlarm({ via: 'notify', description: 'after coming back' });
    assert.ok(alarm.statuses.includes(200), 'the new dialog takes NOTIFYs (the stale one gets 481)');
  });

  test('a malformed NOTIFY body inside a subscription is answered 400 and changes nothing', async () => {
    const cam = await online({ deviceId: '34020000001320000206', kind: 'ipc' });
    assert.equal((await subscribe(cam.deviceId, { kind: 'alarm' })).status, 201);
    const outcome = await cam.raiseAlarm({ via: 'notify', rawBody: Buffer.from('<?xml version="1.0"?><Notify><CmdType>Alarm</CmdType><SN>') });
    assert.deepEqual(outcome.statuses, [400]);
    const ok = await cam.raiseAlarm({ via: 'notify', description: 'after the bad one' });
    assert.deepEqual(ok.statuses, [200]);
  });
});
