/**
 * The device side of GB/T 28181 end to end: the real server (SQLite index, in-process state) on
 * loopback ports, driven by the device simulator over real UDP and TCP sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { SimDevice } from '../sim/device';
import type { SimDeviceOptions } from '../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

let seq = 0;
function nextId(type = '132'): string {
  seq += 1;
  return `3402000000${type}${String(seq).padStart(7, '0')}`;
}

function device(server: TestServer, options: Partial<SimDeviceOptions> = {}): SimDevice {
  return new SimDevice({
    deviceId: options.deviceId ?? nextId(options.kind === 'nvr' ? '118' : '132'),
    password: '12345678',
    server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
    transport: 'udp',
    kind: 'ipc',
    timers: { t1Ms: 100, maxTransmissions: 4 },
    ...options,
  });
}

async function getJson<T = Record<string, unknown>>(server: TestServer, path: string): Promise<{ status: number; body: T }> {
  const res = await server.api(path);
  return { status: res.status, body: (await res.json()) as T };
}

interface ChannelPage {
  total: number;
  items: Array<{ channelId: string; name: string | null; present: boolean; typeCode: string }>;
}

describe('devices register, stay online and are listed', () => {
  let server: TestServer;
  const sims: SimDevice[] = [];
  const track = (sim: SimDevice) => {
    sims.push(sim);
    return sim;
  };

  before(async () => {
    server = await startTestServer({ 'keepalive.intervalSec': 1, 'keepalive.timeoutCount': 2 });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('a camera registers with digest auth, gets the Date header, and its catalog and info are stored', async () => {
    const cam = track(device(server));
    await cam.start();
    const result = await cam.register();
    assert.equal(result.status, 200);
    assert.equal(result.transactions, 2, 'one challenged and one authenticated REGISTER');
    assert.match(cam.lastServerDate ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);

    const channels = await waitFor(async () => {
      const { body } = await getJson<ChannelPage>(server, `/api/v1/devices/${cam.deviceId}/channels`);
      return body.total === 1 ? body : null;
    }, 5000, 'catalog stored');
    assert.equal(channels.items[0]?.channelId, cam.channelIds[0]);
    assert.equal(channels.items[0]?.name, cam.channelNames[0], 'Chinese name decoded from GB2312');

    const { body: dev } = await getJson(server, `/api/v1/devices/${cam.deviceId}`);
    assert.equal(dev.online, true);
    assert.equal(dev.gbVersion, '2022');
    assert.equal(dev.transport, 'udp');
    assert.equal(dev.remotePort, cam.localPort);
    assert.equal(dev.password, undefined, 'the password is never shown');
    await waitFor(async () => (await getJson(server, `/api/v1/devices/${cam.deviceId}`)).body.manufacturer, 3000, 'DeviceInfo stored');

    const events = await getJson<{ items: Array<{ type: string; reason: string }> }>(server, `/api/v1/devices/${cam.deviceId}/events`);
    assert.deepEqual(events.body.items.map((e) => [e.type, e.reason]), [['online', 'register']]);

    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    const value = (line: string) => Number(metrics.split('\n').find((l) => l.startsWith(line))?.slice(line.length + 1));
    assert.ok(value('gbvms_sip_messages_total{direction="in",method="REGISTER",status=""}') >= 2);
    assert.ok(value('gbvms_sip_messages_total{direction="out",method="REGISTER",status="401"}') >= 1);
    assert.ok(value('gbvms_devices_online') >= 1);
  });

  test('a camera that misses its keepalives is marked offline, and comes back with the next keepalive', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    assert.equal(await cam.sendKeepalive(), 200);
    // keepalive interval 1 s x 2 misses: offline about 2 s after the last keepalive.
    await waitFor(async () => (await getJson(server, `/api/v1/devices/${cam.deviceId}`)).body.online === false, 5000, 'offline');
    assert.equal(await cam.sendKeepalive(), 200);
    await waitFor(async () => (await getJson(server, `/api/v1/devices/${cam.deviceId}`)).body.online === true, 3000, 'online again');
    const events = await getJson<{ items: Array<{ type: string; reason: string }> }>(server, `/api/v1/devices/${cam.deviceId}/events`);
    assert.deepEqual(
      events.body.items.map((e) => `${e.type}:${e.reason}`),
      ['online:register', 'offline:keepalive-timeout', 'online:keepalive'],
    );
  });

  test('unregistering (Expires: 0) marks the device offline at once', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    assert.equal((await cam.unregister()).status, 200);
    const { body } = await getJson(server, `/api/v1/devices/${cam.deviceId}`);
    assert.equal(body.online, false);
    const events = await getJson<{ items: Array<{ reason: string }> }>(server, `/api/v1/devices/${cam.deviceId}/events`);
    assert.equal(events.body.items.at(-1)?.reason, 'unregister');
    assert.equal(await cam.sendKeepalive(), 403, 'an unregistered device is told to register again');
  });

  test('an NVR with 256 channels over TCP, its catalog split 10 items per MESSAGE, is stored whole', async () => {
    const nvr = track(device(server, { kind: 'nvr', channels: 256, transport: 'tcp', quirks: { catalogItemsPerMessage: 10 } }));
    await nvr.start();
    assert.equal((await nvr.register()).status, 200);
    const page = await waitFor(async () => {
      const { body } = await getJson<ChannelPage>(server, `/api/v1/devices/${nvr.deviceId}/channels?limit=1000`);
      return body.total === 256 ? body : null;
    }, 8000, '256 channels');
    assert.deepEqual(new Set(page.items.map((c) => c.channelId)), new Set(nvr.channelIds));
    const { body: dev } = await getJson(server, `/api/v1/devices/${nvr.deviceId}`);
    assert.equal(dev.channelCount, 256);
    assert.equal(dev.transport, 'tcp');
  });

  test('an old device that answers the digest challenge without qop registers', async () => {
    const cam = track(device(server, { quirks: { noQop: true } }));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
  });

  test('a 2016 device with LF-only messages and a GB2312 declaration over GBK bytes is understood', async () => {
    const cam = track(device(server, { gbVersion: '2016', quirks: { lfOnly: true, wrongDeclaredCharset: true } }));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    const page = await waitFor(async () => {
      const { body } = await getJson<ChannelPage>(server, `/api/v1/devices/${cam.deviceId}/channels`);
      return body.total === 1 ? body : null;
    }, 5000, 'catalog');
    assert.equal(page.items[0]?.name, cam.channelNames[0]);
    assert.ok(/[坣喆]/.test(cam.channelNames[0] ?? ''), 'the name holds a GBK-only character');
    const { body: dev } = await getJson(server, `/api/v1/devices/${cam.deviceId}`);
    assert.equal(dev.gbVersion, '2016');
  });

  test('a device behind NAT (useless Via and Contact) is answered and queried at its real source address', async () => {
    const cam = track(device(server, { quirks: { contactGarbage: true } }));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    await waitFor(async () => (await getJson<ChannelPage>(server, `/api/v1/devices/${cam.deviceId}/channels`)).body.total === 1, 5000, 'catalog via NAT');
    const res = await server.api(`/api/v1/devices/${cam.deviceId}/status`);
    assert.equal(res.status, 200);
    const status = (await res.json()) as { online: unknown };
    assert.ok(status.online !== undefined);
  });

  test('a device whose address changes while registered (4G, NAT rebinding) is followed to the new one', async () => {
    const before = track(device(server));
    await before.start();
    assert.equal((await before.register()).status, 200);
    await before.stop();
    // Same device, new source port, no new REGISTER: its next keepalive moves the registration.
    const moved = track(device(server, { deviceId: before.deviceId }));
    await moved.start();
    assert.notEqual(moved.localPort, before.localPort);
    assert.equal(await moved.sendKeepalive(), 200);
    const { body } = await getJson(server, `/api/v1/devices/${moved.deviceId}`);
    assert.equal(body.remotePort, moved.localPort);
    const info = await server.api(`/api/v1/devices/${moved.deviceId}/info`);
    assert.equal(info.status, 200, 'the query reaches the device at its new address');
  });

  test('a wrong password is challenged again, then refused with 403 after repeated failures', async () => {
    const cam = track(device(server, { password: 'wrong-password' }));
    await cam.start();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await cam.register()).status);
    assert.equal(statuses[0], 401);
    assert.equal(statuses.at(-1), 403, `statuses: ${statuses.join(',')}`);
    const { status } = await getJson(server, `/api/v1/devices/${cam.deviceId}`);
    assert.equal(status, 404, 'a device that never authenticated is not enrolled');
  });

  test('device info and status are asked on demand through the API, and the catalog can be refreshed', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    const info = await server.api(`/api/v1/devices/${cam.deviceId}/info`);
    assert.equal(info.status, 200);
    const infoBody = (await info.json()) as { deviceId: string; manufacturer: string | null };
    assert.equal(infoBody.deviceId, cam.deviceId);
    assert.ok(infoBody.manufacturer);
    const refresh = await server.api(`/api/v1/devices/${cam.deviceId}/catalog`, { method: 'POST' });
    assert.equal(refresh.status, 200);
    const result = (await refresh.json()) as { complete: boolean; expected: number; received: number };
    assert.deepEqual([result.complete, result.expected, result.received], [true, 1, 1]);
  });

  test('asking an offline device gives a clear 409, and an unknown one 404', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    assert.equal((await cam.unregister()).status, 200);
    const offline = await server.api(`/api/v1/devices/${cam.deviceId}/info`);
    assert.equal(offline.status, 409);
    assert.equal(((await offline.json()) as { error: { code: string } }).error.code, 'device_offline');
    const unknown = await server.api(`/api/v1/devices/34020000001329999999/info`);
    assert.equal(unknown.status, 404);
  });

  test('deleting a device removes it and its channels but keeps its event history', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    await waitFor(async () => (await getJson<ChannelPage>(server, `/api/v1/devices/${cam.deviceId}/channels`)).body.total === 1);
    const del = await server.api(`/api/v1/devices/${cam.deviceId}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await server.api(`/api/v1/devices/${cam.deviceId}`)).status, 404);
    const events = await server.app.index.listDeviceEvents({ deviceId: cam.deviceId, from: 0, to: Date.now() + 1, limit: 10 });
    assert.deepEqual(events.map((e) => e.reason), ['register', 'deleted']);
  });

  test('a keepalive body whose GB2312 bytes declare UTF-8 is still a keepalive', async () => {
    const cam = track(device(server));
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>9</SN>\n<DeviceID>${cam.deviceId}</DeviceID>\n<Status>OK</Status>\n<Info>摄像机</Info>\n</Notify>\n`;
    const result = await cam.sendMessage(iconv.encode(xml, 'gb2312'));
    assert.equal(result.status, 200);
  });
});

describe('closed deployments and refused IDs', () => {
  let server: TestServer;
  const denied = nextId();
  const sims: SimDevice[] = [];
  before(async () => {
    server = await startTestServer({ 'sip.autoEnroll': false, 'sip.denyList': [denied] });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('with auto-enrolment off, an unknown device is refused and a provisioned one with its own password registers', async () => {
    const stranger = device(server);
    sims.push(stranger);
    await stranger.start();
    assert.equal((await stranger.register()).status, 403);

    const known = device(server, { password: 'own-secret-1' });
    sims.push(known);
    const created = await server.api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: known.deviceId, password: 'own-secret-1' }) });
    assert.equal(created.status, 201);
    assert.equal(((await created.json()) as { hasOwnPassword: boolean }).hasOwnPassword, true);
    await known.start();
    assert.equal((await known.register()).status, 200);
  });

  test('a device on the deny list is refused', async () => {
    const server2 = server;
    await server2.api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ deviceId: denied }) });
    const cam = device(server2, { deviceId: denied });
    sims.push(cam);
    await cam.start();
    assert.equal((await cam.register()).status, 403);
  });
});

describe('a restart with in-process state', () => {
  test('devices online before the restart are marked offline, told to register again, and come back', async () => {
    const first = await startTestServer();
    const cam = device(first);
    await cam.start();
    assert.equal((await cam.register()).status, 200);
    await cam.stop();
    await first.stop({ keepData: true });

    const second = await startTestServer({}, { dataDir: first.dataDir });
    try {
      const { body } = await getJson(second, `/api/v1/devices/${cam.deviceId}`);
      assert.equal(body.online, false);
      const again = device(second, { deviceId: cam.deviceId });
      await again.start();
      assert.equal(await again.sendKeepalive(), 403);
      assert.equal((await again.register()).status, 200);
      const events = await second.app.index.listDeviceEvents({ deviceId: cam.deviceId, from: 0, to: Date.now() + 1, limit: 10 });
      assert.deepEqual(events.map((e) => `${e.type}:${e.reason}`), ['online:register', 'offline:server-restart', 'online:register']);
      await again.stop();
    } finally {
      await second.stop();
    }
  });
});
