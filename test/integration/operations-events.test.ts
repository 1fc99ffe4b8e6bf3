import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_TOKEN, PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { SimDevice } from '../sim/device';

const PRIVILEGED = 'privileged-token-0123456789';
const INGEST = 'ingest-token-0123456789abc';
const DOOR = '34020000001240000001';
const CAM1 = '34020000001310000001';
const CAM2 = '34020000001310000002';
const OTHER_DOOR = '34020000001240000002';
const LONELY_CAM = '34020000001310000009';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('gbvms test photo'), Buffer.from([0xff, 0xd9])]);

interface Page<T> {
  total: number;
  items: T[];
  masked?: boolean;
}
interface DoorRecordView {
  id: string;
  eventId: string;
  buildingId: string;
  time: number;
  kind: string;
  method: string | null;
  direction: string | null;
  cardNumber: string | null;
  personId: string | null;
  personName: string | null;
  masked: boolean;
  photoUrl: string | null;
  footage: Array<{ channelId: string; source: string; from: number; to: number; open: { path: string; body: Record<string, number> } }>;
}

describe('district operations: door records, watchlist, remote opening, fault tickets (integration)', () => {
  let server: TestServer;
  let door: SimDevice;
  let cam: SimDevice;

  const as = (token: string, headers: Record<string, string> = {}) => (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers, ...((init.headers as Record<string, string> | undefined) ?? {}) },
    });
  const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await (await res).json()) as T;
  const post = (path: string, body: unknown, api = server.api) => api(path, { method: 'POST', body: JSON.stringify(body) });

  before(async () => {
    server = await startTestServer({
      'operations.privilegedToken': PRIVILEGED,
      'operations.doors.ingestToken': INGEST,
      'operations.doors.openTimeoutMs': 1200,
      'operations.faults.graceSec': 1,
      'operations.faults.sweepIntervalSec': 1,
    });
    const sim = { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN };
    door = new SimDevice({ deviceId: DOOR, password: '12345678', server: sim, transport: 'udp', kind: 'door' });
    cam = new SimDevice({ deviceId: LONELY_CAM, password: '12345678', server: sim, transport: 'udp', kind: 'ipc' });
    await door.start();
    await cam.start();
    assert.equal((await door.register()).status, 200);
    for (const b of [
      { buildingId: 'BLD-1', door: DOOR, cameras: [CAM1, CAM2] },
      { buildingId: 'BLD-2', door: OTHER_DOOR, cameras: [] },
      { buildingId: 'BLD-3', door: null, cameras: [LONELY_CAM, '34020000001310000010'] },
    ]) {
      const devices = [...(b.door ? [{ deviceId: b.door, role: 'door' }] : []), ...b.cameras.map((deviceId) => ({ deviceId, role: 'camera' }))];
      const res = await post('/api/v1/buildings', { buildingId: b.buildingId, address: `${b.buildingId} Road`, street: 'S1', community: 'C1', devices });
      assert.equal(res.status, 201, await res.text());
    }
  });

  after(async () => {
    await door.stop();
    await cam.stop();
    await server.stop();
  });

  test('a door host alarm becomes a record with its building and footage links (platform where recorded, else device)', async () => {
    const start = Date.now();
    await server.app.index.addRecordingSegments([
      {
        id: 'seg-door-1', channelId: CAM1, deviceId: CAM1, path: `${CAM1}/x.ts`, start: start - 60_000, end: start + 60_000, bytes: 1000,
        videoCodec: 'h264', audioCodec: null, width: null, height: null, locked: false, createdAt: start,
      },
    ]);
    const outcome = await door.door.raiseDoorEvent({ method: 'card', direction: 'in', card: '6217001234567890', person: 'P-0042', name: '张三', eventId: 'host-ev-1' });
    assert.equal(outcome.status, 200);
    const record = await waitFor(async () => (await json<Page<DoorRecordView>>(server.api('/api/v1/door-events?buildingId=BLD-1'))).items.find((r) => r.eventId === 'host-ev-1'), 3000, 'door record');
    assert.equal(record.buildingId, 'BLD-1');
    assert.equal(record.kind, 'unlock');
    assert.equal(record.method, 'card');
    assert.equal(record.direction, 'in');
    assert.ok(Math.abs(record.time - start) < 3000, 'AlarmTime read in the platform time zone');
    assert.equal(record.masked, true);
    assert.equal(record.cardNumber, '************7890');
    assert.equal(record.personName, '张*');
    const alarms = await server.api(`/api/v1/alarms?deviceId=${DOOR}`);
    assert.equal(alarms.status, 200);
    const alarmText = await alarms.text();
    assert.match(alarmText, /7890/, 'the door alarm is listed');
    assert.ok(!alarmText.includes('6217001234567890') && !alarmText.includes('张三'), 'alarms do not show the card number or name whole');
    const byChannel = new Map(record.footage.map((f) => [f.channelId, f]));
    assert.equal(byChannel.get(CAM1)?.source, 'platform');
    assert.equal(byChannel.get(CAM1)?.open.path, `/api/v1/channels/${CAM1}/playback`);
    assert.equal(byChannel.get(CAM2)?.source, 'device');
    assert.equal(byChannel.get(CAM2)?.open.path, `/api/v1/channels/${CAM2}/device-playback`);
    assert.equal(byChannel.get(CAM2)?.from, record.time - 10_000);
    assert.equal(byChannel.get(CAM2)?.to, record.time + 20_000);
    // The same alarm again (a device retry): still one record.
    await door.door.raiseDoorEvent({ method: 'card', card: '6217001234567890', eventId: 'host-ev-1' });
    const again = await json<Page<DoorRecordView>>(server.api('/api/v1/door-events?buildingId=BLD-1'));
    assert.equal(again.items.filter((r) => r.eventId === 'host-ev-1').length, 1);
  });

  test('REST ingest is idempotent on the event ID, even for concurrent retries', async () => {
    const event = { eventId: 'gw-77', deviceId: DOOR, time: '2026-11-20T08:00:00Z', kind: 'unlock', method: 'face', personId: 'P-9', personName: '李四' };
    const first = await post('/api/v1/door-events', event);
    assert.equal(first.status, 201);
    const created = await json<DoorRecordView>(first);
    const retry = await post('/api/v1/door-events', event);
    assert.equal(retry.status, 200);
    assert.equal((await json<DoorRecordView>(retry)).id, created.id);
    const burst = await Promise.all(Array.from({ length: 5 }, () => post('/api/v1/door-events', { ...event, eventId: 'gw-78' })));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(burst.map(async (r) => (await json<DoorRecordView>(r)).id)));
    assert.equal(ids.size, 1);
    const list = await json<Page<DoorRecordView>>(server.api('/api/v1/door-events?method=face'));
    assert.equal(list.items.filter((r) => r.eventId === 'gw-77' || r.eventId === 'gw-78').length, 2);
  });

  test('out-of-order events are all kept and listed by event time', async () => {
    const base = Date.UTC(2026, 10, 21, 9, 0, 0);
    for (const [id, offset] of [['ooo-3', 3000], ['ooo-1', 1000], ['ooo-2', 2000]] as const) {
      assert.equal((await post('/api/v1/door-events', { eventId: id, deviceId: DOOR, time: base + offset, kind: 'door-opened' })).status, 201);
    }
    const list = await json<Page<DoorRecordView>>(server.api(`/api/v1/door-events?from=${base}&to=${base + 10_000}`));
    assert.deepEqual(list.items.map((r) => r.eventId), ['ooo-3', 'ooo-2', 'ooo-1']);
  });

  test('an event of a device in no building is refused with 422; the ingest token only ingests', async () => {
    for (const time of [1e17, '99999999999999999']) {
      const bad = await post('/api/v1/door-events', { eventId: 'gw-far', deviceId: DOOR, time, photo: JPEG.toString('base64') });
      assert.equal(bad.status, 400, `time ${time}`);
    }
    const res = await post('/api/v1/door-events', { eventId: 'gw-x', deviceId: '34020000001249999999', time: Date.now() });
    assert.equal(res.status, 422);
    const body = await json<{ error: { code: string; message: string } }>(res);
    assert.equal(body.error.code, 'unknown_device');
    assert.match(body.error.message, /34020000001249999999/);
    const ingest = as(INGEST);
    assert.equal((await post('/api/v1/door-events', { eventId: 'gw-ing', deviceId: DOOR, time: Date.now() }, ingest)).status, 201);
    assert.equal((await ingest('/api/v1/door-events')).status, 403);
    assert.equal((await ingest('/api/v1/devices')).status, 403);
    assert.equal((await as('wrong-token-0000000000')('/api/v1/door-events')).status, 401);
  });

  test('identifiers are unmasked only for the investigator role, and every such read is audited', async () => {
    const photo = JPEG.toString('base64');
    const created = await json<DoorRecordView>(post('/api/v1/door-events', { eventId: 'gw-photo', deviceId: DOOR, time: Date.now(), method: 'card', cardNumber: '88886666', personName: '王五', photo }));
    assert.equal(created.photoUrl, `/api/v1/door-events/${created.id}/photo`);
    const operatorWithHeader = await json<DoorRecordView>(as(API_TOKEN, { 'x-gbvms-role': 'investigator' })(`/api/v1/door-events/${created.id}`));
    assert.equal(operatorWithHeader.cardNumber, '****6666');
    const privilegedPlain = await json<DoorRecordView>(as(PRIVILEGED)(`/api/v1/door-events/${created.id}`));
    assert.equal(privilegedPlain.masked, true);
    assert.equal((await as(PRIVILEGED)(`/api/v1/door-events/${created.id}/photo`)).status, 403);
    assert.equal((await json<Page<unknown>>(server.api('/api/v1/audit?action=door-events.read'))).total, 0);

    // Searching by card or person follows one person: investigators only, and audited even when empty.
    for (const search of ['card=88886666', 'person=P-9']) {
      const refused = await server.api(`/api/v1/door-events?${search}`);
      assert.equal(refused.status, 403, `operator ${search}`);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');
      assert.equal((await as(PRIVILEGED)(`/api/v1/door-events?${search}`)).status, 403, `privileged without the role, ${search}`);
    }
    const investigator = as(PRIVILEGED, { 'x-gbvms-role': 'investigator', 'x-gbvms-user': 'inspector Zhao' });
    const nothing = await json<Page<DoorRecordView>>(investigator('/api/v1/door-events?card=00000000'));
    assert.equal(nothing.total, 0);
    const emptySearch = await json<Page<{ action: string; detail: { count?: number; query?: { card?: string } } }>>(server.api('/api/v1/audit?action=door-events.read'));
    assert.ok(emptySearch.items.some((e) => e.detail.count === 0 && e.detail.query?.card === '****0000'), 'a search that found nothing is audited too');
    const list = await json<Page<DoorRecordView>>(investigator('/api/v1/door-events?card=88886666'));
    assert.equal(list.masked, false);
    assert.equal(list.items[0]?.cardNumber, '88886666');
    assert.equal(list.items[0]?.personName, '王五');
    const photoRes = await investigator(`/api/v1/door-events/${created.id}/photo`);
    assert.equal(photoRes.status, 200);
    assert.equal(photoRes.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await photoRes.arrayBuffer()), JPEG);
    const audit = await json<Page<{ actor: string; role: string; action: string; target: string; detail: { query?: { card?: string } } }>>(server.api('/api/v1/audit'));
    const read = audit.items.find((e) => e.action === 'door-events.read');
    assert.equal(read?.actor, 'inspector Zhao');
    assert.equal(read?.role, 'privileged');
    assert.equal(read?.target, created.id);
    assert.equal(read?.detail.query?.card, '****6666', 'the audit line does not repeat the identifier searched for');
    assert.ok(audit.items.some((e) => e.action === 'door-events.photo' && e.target === created.id));
  });

  test('a watchlist hit raises an alert within one second, handled through the API', async () => {
    const entry = await post('/api/v1/watchlist', { kind: 'card', value: '5555000011112222', reason: 'reported stolen', priority: 1 });
    assert.equal(entry.status, 201);
    assert.equal((await json<{ value: string }>(entry)).value, '************2222');
    assert.equal((await post('/api/v1/watchlist', { kind: 'card', value: '5555000011112222', reason: 'again' })).status, 409);
    const started = performance.now();
    await door.door.raiseDoorEvent({ method: 'card', card: '5555000011112222', style: 'chinese', direction: 'out' });
    const alert = await waitFor(async () => (await json<Page<{ id: string; state: string; value: string; buildingId: string; recordId: string }>>(server.api('/api/v1/watchlist-alerts?state=open'))).items[0], 1500, 'alert');
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `alert after ${elapsed.toFixed(0)} ms`);
    assert.equal(alert.buildingId, 'BLD-1');
    assert.equal(alert.value, '************2222');
    const record = await json<DoorRecordView>(server.api(`/api/v1/door-events/${alert.recordId}`));
    assert.equal(record.direction, 'out');
    assert.equal(record.method, 'card');
    const acked = await json<{ state: string; acknowledgedBy: string }>(post(`/api/v1/watchlist-alerts/${alert.id}/acknowledge`, { by: 'desk 3' }));
    assert.deepEqual([acked.state, acked.acknowledgedBy], ['acknowledged', 'desk 3']);
    const closed = await json<{ state: string; note: string }>(post(`/api/v1/watchlist-alerts/${alert.id}/close`, { note: 'owner confirmed, card found' }));
    assert.deepEqual([closed.state, closed.note], ['closed', 'owner confirmed, card found']);
    assert.equal((await post(`/api/v1/watchlist-alerts/${alert.id}/close`, { note: 'x' })).status, 409);
  });

  test('remote opening sends the auxiliary-switch DeviceControl and answers with the host result', async () => {
    door.received.length = 0;
    door.door.mode = 'ok';
    const res = await post('/api/v1/buildings/BLD-1/door/open', { by: 'guard Chen' });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await json<{ result: string; deviceId: string; command: string }>(res);
    assert.deepEqual([body.result, body.deviceId, body.command], ['OK', DOOR, 'aux-switch']);
    const sent = door.received.find((m) => m.raw.includes('DeviceControl'));
    assert.ok(sent, 'the MESSAGE reached the door host');
    const wire = sent.raw.toString('latin1');
    assert.match(wire, /^MESSAGE sip:34020000001240000001@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
    assert.match(wire, /\r\nContent-Type: Application\/MANSCDP\+xml\r\n/i);
    assert.match(wire, /<Control>\s*<CmdType>DeviceControl<\/CmdType>\s*<SN>\d+<\/SN>\s*<DeviceID>34020000001240000001<\/DeviceID>\s*<PTZCmd>A50F018C01000042<\/PTZCmd>/);
    assert.equal(door.door.opens.at(-1)?.door, 1);

    door.door.mode = 'error';
    assert.equal((await post(`/api/v1/devices/${DOOR}/door/open`, {})).status, 502);
    door.door.mode = 'silent';
    assert.equal((await post('/api/v1/buildings/BLD-1/door/open', {})).status, 504);
    door.door.mode = 'ok';
    assert.equal((await post('/api/v1/devices', { deviceId: OTHER_DOOR })).status, 201);
    assert.equal((await post('/api/v1/buildings/BLD-2/door/open', {})).status, 409);
    assert.equal((await post('/api/v1/buildings/BLD-3/door/open', {})).status, 404);
    const audit = await json<Page<{ actor: string; target: string; result: string }>>(server.api('/api/v1/audit?action=door.open'));
    assert.deepEqual(audit.items.map((e) => e.result).reverse(), ['OK', 'ERROR', 'timeout', 'offline', 'not_found']);
    assert.equal(audit.items.at(-1)?.actor, 'guard Chen');
    assert.equal(audit.items.at(-1)?.target, DOOR);
    assert.equal(audit.items[0]?.target, null, 'no door host in BLD-3');
  });

  test('a camera that goes away opens a front-end ticket; it closes itself when the camera is back', async () => {
    assert.equal((await cam.register()).status, 200);
    assert.equal((await cam.register(0)).status, 200);
    const ticket = await waitFor(async () => (await json<Page<{ id: string; kind: string; state: string; devices: Array<{ deviceId: string }> }>>(server.api('/api/v1/faults?buildingId=BLD-3'))).items[0], 6000, 'fault ticket');
    assert.equal(ticket.kind, 'front-end');
    assert.deepEqual(ticket.devices.map((d) => d.deviceId), [LONELY_CAM]);
    const acked = await json<{ state: string; acknowledgedBy: string }>(post(`/api/v1/faults/${ticket.id}/acknowledge`, {}));
    assert.equal(acked.state, 'acknowledged');
    assert.equal(acked.acknowledgedBy, 'operator');
    assert.equal((await cam.register()).status, 200);
    const resolved = await waitFor(async () => {
      const t = await json<{ state: string; resolution: string; repairMs: number }>(server.api(`/api/v1/faults/${ticket.id}`));
      return t.state === 'resolved' ? t : null;
    }, 3000, 'auto-resolution');
    assert.equal(resolved.resolution, 'auto');
    assert.ok(resolved.repairMs > 0);
  });

  test('lines and buildings without spare fibre are flagged through the API; bad flags are 400', async () => {
    const put = (path: string, body: unknown) => server.api(path, { method: 'PUT', body: JSON.stringify(body) });
    assert.equal((await put('/api/v1/fault-fibre/line/L-NORTH', { noSpareFibre: true, note: 'one fibre only' })).status, 200);
    assert.equal((await put('/api/v1/fault-fibre/building/BLD-3', { noSpareFibre: true })).status, 200);
    assert.equal((await put('/api/v1/fault-fibre/line/L-NORTH', { noSpareFibre: false, note: null })).status, 200);
    const list = await json<{ total: number; items: Array<{ scope: string; id: string; noSpareFibre: boolean; note: string | null }> }>(server.api('/api/v1/fault-fibre'));
    const byKey = new Map(list.items.map((f) => [`${f.scope}/${f.id}`, f]));
    assert.equal(byKey.get('line/L-NORTH')?.noSpareFibre, false, 'the later flag replaces the earlier');
    assert.equal(byKey.get('building/BLD-3')?.noSpareFibre, true);
    assert.equal((await put('/api/v1/fault-fibre/street/S1', { noSpareFibre: true })).status, 400);
    assert.equal((await put('/api/v1/fault-fibre/line/L1', { noSpareFibre: 'yes' })).status, 400);
  });
});

describe('fault tickets across a server restart (integration)', () => {
  test('an open ticket survives a restart once, and closes itself when the camera is back', async () => {
    const CAMERA = '34020000001310000021';
    const overrides = { 'operations.faults.graceSec': 1, 'operations.faults.sweepIntervalSec': 1 };
    const first = await startTestServer(overrides);
    const simOf = (s: TestServer) =>
      new SimDevice({ deviceId: CAMERA, password: '12345678', server: { host: '127.0.0.1', port: s.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN }, transport: 'udp', kind: 'ipc' });
    const camera = simOf(first);
    let second: TestServer | null = null;
    let again: SimDevice | null = null;
    try {
      const created = await first.api('/api/v1/buildings', {
        method: 'POST',
        body: JSON.stringify({ buildingId: 'BLD-R', address: 'R Road', street: 'S', community: 'C', devices: [{ deviceId: CAMERA, role: 'camera' }, { deviceId: '34020000001310000022', role: 'camera' }] }),
      });
      assert.equal(created.status, 201);
      await camera.start();
      assert.equal((await camera.register()).status, 200);
      assert.equal((await camera.register(0)).status, 200);
      const list = async (s: TestServer) => ((await (await s.api('/api/v1/faults?buildingId=BLD-R')).json()) as Page<{ id: string; state: string; resolution: string | null }>).items;
      const ticket = await waitFor(async () => (await list(first))[0], 6000, 'fault ticket');
      await camera.stop();
      await first.stop({ keepData: true });

      second = await startTestServer(overrides, { dataDir: first.dataDir });
      await new Promise((r) => setTimeout(r, 2500)); // two sweeps past the grace time
      const after = await list(second);
      assert.deepEqual(after.map((t) => [t.id, t.state]), [[ticket.id, 'open']], 'the same ticket, still open, no duplicate');
      again = simOf(second);
      await again.start();
      assert.equal((await again.register()).status, 200);
      const closed = await waitFor(async () => (await list(second!)).find((t) => t.state === 'resolved'), 4000, 'auto-resolution after the restart');
      assert.deepEqual([closed.id, closed.resolution], [ticket.id, 'auto']);
    } finally {
      await camera.stop();
      await again?.stop();
      if (second) await second.stop();
      else await first.stop();
    }
  });
});
