/**
 * gbvms as a lower platform, seen from an upper platform (test/cascade/upper-sim.ts): catalog of
 * the shared channels split in parts (GB2312, SumNum, SN), ID mapping, DeviceInfo/DeviceStatus,
 * RecordInfo from the platform's recordings, DeviceControl forwarded to a device, catalog
 * NOTIFY when a device goes offline, alarms sent upward.
 */
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { after, before, describe, test } from 'node:test';
import { PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { SimDevice } from '../sim/device';
import { header } from '../sim/mini-registrar';
import { UpperSim, xmlItems, xmlTag } from '../cascade/upper-sim';

const CITY = '35010000002000000011';
const MAPPED = '35010000002000000012';
const NVR = '34020000001180000001';
const IPC = '34020000001320001000';
const PASSWORD = 'city-secret';

describe('cascade: requests from the upper platform', () => {
  let server: TestServer;
  let nvr: SimDevice;
  let ipc: SimDevice;
  let city: UpperSim;
  let mapped: UpperSim;
  let sn = 100;

  const simServer = () => ({ host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: '3402000000' });

  async function addUpper(sim: UpperSim, fields: Record<string, unknown>, shares: Array<Record<string, unknown>>): Promise<void> {
    const res = await server.api('/api/v1/uppers', {
      method: 'POST',
      body: JSON.stringify({ upperId: sim.id, host: '127.0.0.1', port: sim.udpPort, password: PASSWORD, keepaliveIntervalSec: 30, ...fields }),
    });
    assert.equal(res.status, 201, await res.text());
    const shared = await server.api(`/api/v1/uppers/${sim.id}/shares`, { method: 'POST', body: JSON.stringify({ add: shares }) });
    assert.equal(shared.status, 200, await shared.text());
    await waitFor(() => sim.lower !== undefined, 3000, `${sim.id} registered`);
  }

  before(async () => {
    server = await startTestServer({ 'catalog.queryOnRegister': false, 'cascade.retryMinMs': 100, 'cascade.requestTimeoutMs': 1000 });
    nvr = new SimDevice({ deviceId: NVR, password: '12345678', transport: 'udp', kind: 'nvr', channels: 5, organisation: { groups: 1, orgsPerGroup: 2 }, server: simServer() });
    ipc = new SimDevice({ deviceId: IPC, password: '12345678', transport: 'udp', kind: 'ipc', server: simServer() });
    for (const d of [nvr, ipc]) {
      await d.start();
      assert.equal((await d.register()).status, 200);
      assert.equal((await server.api(`/api/v1/devices/${d.deviceId}/catalog`, { method: 'POST' })).status, 200);
    }
    city = new UpperSim({ id: CITY, users: new Map([[PLATFORM_ID, PASSWORD]]) });
    mapped = new UpperSim({ id: MAPPED, users: new Map([[PLATFORM_ID, PASSWORD]]) });
    await city.start();
    await mapped.start();
    await addUpper(city, { catalogItemsPerMessage: 3 }, [{ id: NVR }]);
    await addUpper(mapped, { idMode: 'mapped', charset: 'UTF-8' }, [
      { id: nvr.channelIds[0], deviceId: NVR, mappedId: '35010000001310000101' },
      { id: nvr.channelIds[1], deviceId: NVR, mappedId: '35010000001310000102' },
    ]);
  });
  after(async () => {
    await city?.stop();
    await mapped?.stop();
    await nvr?.stop();
    await ipc?.stop();
    await server?.stop();
  });

  test('a catalog query is answered with the shared channels and organisation nodes, in GB2312 parts carrying SumNum and the SN', async () => {
    const q = ++sn;
    const answer = await city.manscdp('Query', 'Catalog', q, PLATFORM_ID);
    assert.equal(answer.status, 200);
    const parts = await city.collect('Catalog', q, (p) => p.reduce((n, x) => n + xmlItems(x.text).length, 0) >= 8);
    assert.equal(parts.length, 3, 'eight items, three per MESSAGE');
    for (const part of parts) {
      assert.equal(part.charset, 'GB2312');
      assert.equal(xmlTag(part.text, 'SumNum'), '8');
      assert.equal(xmlTag(part.text, 'DeviceID'), PLATFORM_ID);
      assert.equal(header(part.message, 'content-length'), String(part.message.body.length));
    }
    const items = parts.flatMap((p) => xmlItems(p.text));
    const ids = items.map((i) => xmlTag(i, 'DeviceID'));
    for (const channelId of nvr.channelIds) assert.ok(ids.includes(channelId), channelId);
    assert.ok(!ids.includes(ipc.channelIds[0]!), 'the unshared camera is not listed');
    const first = items.find((i) => xmlTag(i, 'DeviceID') === nvr.channelIds[0])!;
    assert.equal(xmlTag(first, 'Name'), nvr.channelNames[0], 'Chinese name survives GB2312');
    assert.equal(xmlTag(first, 'Status'), 'ON');
    for (const field of ['Manufacturer', 'Model', 'Owner', 'CivilCode', 'Address', 'Parental', 'ParentID', 'SafetyWay', 'RegisterWay', 'Secrecy']) {
      assert.match(first, new RegExp(`<${field}>`), field);
    }
    const org = items.find((i) => xmlTag(i, 'DeviceID').slice(10, 13) === '216')!;
    assert.match(xmlTag(org, 'BusinessGroupID'), /^\d{10}215/);
    assert.ok(ids.includes(xmlTag(first, 'ParentID')), 'a channel hangs below a shared organisation');
    const raw = Buffer.concat(parts.map((p) => p.message.body));
    assert.ok(raw.includes(iconv.encode(nvr.channelNames[0]!, 'gb2312')), 'the name is GB2312 bytes on the wire');
  });

  test('an upper with mapped IDs sees only its IDs, in UTF-8, and the local IDs of mapped channels are unknown to it', async () => {
    const q = ++sn;
    assert.equal((await mapped.manscdp('Query', 'Catalog', q, PLATFORM_ID)).status, 200);
    const [part] = await mapped.collect('Catalog', q, (p) => p.length >= 1);
    assert.equal(part!.charset, 'UTF-8');
    const ids = xmlItems(part!.text).map((i) => xmlTag(i, 'DeviceID'));
    assert.deepEqual(ids.sort(), ['35010000001310000101', '35010000001310000102']);
    assert.equal(xmlTag(xmlItems(part!.text)[0]!, 'ParentID'), PLATFORM_ID, 'an unshared parent becomes the platform');
    const info = ++sn;
    assert.equal((await mapped.manscdp('Query', 'DeviceInfo', info, '35010000001310000102')).status, 200);
    const [deviceInfo] = await mapped.collect('DeviceInfo', info, (p) => p.length >= 1);
    assert.equal(xmlTag(deviceInfo!.text, 'DeviceID'), '35010000001310000102');
    assert.equal(xmlTag(deviceInfo!.text, 'DeviceName'), nvr.channelNames[1]);
    assert.equal((await mapped.manscdp('Query', 'DeviceInfo', ++sn, nvr.channelIds[1]!)).status, 404);
    assert.equal((await mapped.manscdp('Query', 'DeviceStatus', ++sn, nvr.channelIds[2]!)).status, 404, 'not shared with this upper');
  });

  test('DeviceInfo about the platform and DeviceStatus about a channel are answered; unshared channels get 404', async () => {
    const info = ++sn;
    assert.equal((await city.manscdp('Query', 'DeviceInfo', info, PLATFORM_ID)).status, 200);
    const [deviceInfo] = await city.collect('DeviceInfo', info, (p) => p.length >= 1);
    assert.equal(xmlTag(deviceInfo!.text, 'Result'), 'OK');
    assert.equal(xmlTag(deviceInfo!.text, 'Channel'), '5');
    const st = ++sn;
    assert.equal((await city.manscdp('Query', 'DeviceStatus', st, nvr.channelIds[3]!)).status, 200);
    const [status] = await city.collect('DeviceStatus', st, (p) => p.length >= 1);
    assert.equal(xmlTag(status!.text, 'Online'), 'ONLINE');
    assert.equal((await city.manscdp('Query', 'DeviceStatus', ++sn, IPC)).status, 404);
    assert.equal((await city.request('INVITE', IPC, null)).status, 404);
    // A shared channel's INVITE reaches the cascade media handler (this one has no SDP offer: refused there, not with 404).
    const invite = await city.request('INVITE', nvr.channelIds[2]!, null);
    const inviteStatus = invite.status ?? 0;
    assert.ok(inviteStatus >= 400 && inviteStatus !== 404 && inviteStatus !== 501, `INVITE answered ${inviteStatus}`);
  });

  test('RecordInfo for a shared channel is answered from the platform recordings, merged into spans', async () => {
    const channelId = nvr.channelIds[0]!;
    const t0 = Date.parse('2026-03-01T02:00:00Z');
    const segment = (i: number, start: number) => ({
      id: `cascade-${channelId}-${i}`, channelId, deviceId: NVR, start, end: start + 60_000, path: `${channelId}/x/${i}.ts`, bytes: 1000,
      videoCodec: 'h264', audioCodec: null, width: 1280, height: 720, locked: false, createdAt: Date.now(),
    });
    await server.app.index.addRecordingSegments([segment(1, t0), segment(2, t0 + 60_000), segment(3, t0 + 120_000), segment(4, t0 + 600_000), segment(5, t0 + 660_000)]);
    const q = ++sn;
    // Asia/Shanghai: 02:00 UTC is 10:00 local.
    const fields = '<StartTime>2026-03-01T09:00:00</StartTime>\r\n<EndTime>2026-03-01T12:00:00</EndTime>\r\n<Secrecy>0</Secrecy>\r\n<Type>all</Type>\r\n';
    assert.equal((await city.manscdp('Query', 'RecordInfo', q, channelId, fields)).status, 200);
    const [part] = await city.collect('RecordInfo', q, (p) => p.length >= 1);
    assert.equal(xmlTag(part!.text, 'SumNum'), '2');
    const items = xmlItems(part!.text);
    assert.deepEqual(items.map((i) => [xmlTag(i, 'StartTime'), xmlTag(i, 'EndTime')]), [
      ['2026-03-01T10:00:00', '2026-03-01T10:03:00'],
      ['2026-03-01T10:10:00', '2026-03-01T10:12:00'],
    ]);
    assert.equal(xmlTag(items[0]!, 'DeviceID'), channelId);
    const none = ++sn;
    const alarmOnly = fields.replace('<Type>all</Type>', '<Type>alarm</Type>');
    assert.equal((await city.manscdp('Query', 'RecordInfo', none, channelId, alarmOnly)).status, 200);
    const [empty] = await city.collect('RecordInfo', none, (p) => p.length >= 1);
    assert.equal(xmlTag(empty!.text, 'SumNum'), '0');
  });

  test('with recordSource device, RecordInfo is asked of the device and its answer relayed under the upper-side ID', async () => {
    assert.equal((await server.api(`/api/v1/uppers/${MAPPED}`, { method: 'PATCH', body: JSON.stringify({ recordSource: 'device', catalogItemsPerMessage: 4 }) })).status, 200);
    try {
      const files = nvr.recordingsOf(nvr.channelIds[1]!);
      const from = files[0]!.start;
      const to = files.at(-1)!.end;
      const local = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 19);
      const q = ++sn;
      const fields = `<StartTime>${local(from)}</StartTime>\r\n<EndTime>${local(to)}</EndTime>\r\n<Type>all</Type>\r\n`;
      assert.equal((await mapped.manscdp('Query', 'RecordInfo', q, '35010000001310000102', fields)).status, 200);
      const parts = await mapped.collect('RecordInfo', q, (p) => p.reduce((n, x) => n + xmlItems(x.text).length, 0) >= files.length, 8000);
      assert.equal(parts.length, Math.ceil(files.length / 4));
      assert.equal(xmlTag(parts[0]!.text, 'SumNum'), String(files.length));
      const items = parts.flatMap((p) => xmlItems(p.text));
      assert.ok(items.every((i) => xmlTag(i, 'DeviceID') === '35010000001310000102'));
      assert.deepEqual(items.map((i) => xmlTag(i, 'StartTime')).sort(), files.map((f) => local(f.start)).sort());
      assert.ok(nvr.answers.some((a) => a.cmdType === 'RecordInfo'), 'the device was asked');
    } finally {
      await server.api(`/api/v1/uppers/${MAPPED}`, { method: 'PATCH', body: JSON.stringify({ recordSource: 'platform', catalogItemsPerMessage: 10 }) });
    }
  });

  test('PTZ control from the upper reaches the device with the channel ID rewritten to ours', async () => {
    const body = '<PTZCmd>A50F010800FA00B7</PTZCmd>\r\n<Info>\r\n<ControlPriority>5</ControlPriority>\r\n</Info>\r\n';
    const before = nvr.received.length;
    const answer = await mapped.manscdp('Control', 'DeviceControl', 7001, '35010000001310000101', body);
    assert.equal(answer.status, 200);
    const forwarded = nvr.received.slice(before).find((r) => r.message.type === 'request' && r.message.method === 'MESSAGE' && r.raw.includes('PTZCmd'));
    assert.ok(forwarded, 'the device got the control');
    const text = forwarded.raw.toString('latin1');
    assert.match(text, new RegExp(`<DeviceID>${nvr.channelIds[0]}</DeviceID>`));
    assert.match(text, /<PTZCmd>A50F010800FA00B7<\/PTZCmd>/);
    assert.match(text, /<SN>7001<\/SN>/);
    assert.match(text, /<ControlPriority>5<\/ControlPriority>/);
    assert.ok(!text.includes('35010000001310000101'));
    const unshared = await city.manscdp('Control', 'DeviceControl', 7002, IPC, body);
    assert.equal(unshared.status, 404);
  });

  test("a control the device answers with a Result (GuardCmd) gets the device's Result relayed under the upper's ID", async () => {
    const answer = await mapped.manscdp('Control', 'DeviceControl', 7101, '35010000001310000102', '<GuardCmd>SetGuard</GuardCmd>\r\n');
    assert.equal(answer.status, 200);
    const [result] = await mapped.collect('DeviceControl', 7101, (p) => p.length >= 1);
    assert.equal(xmlTag(result!.text, 'DeviceID'), '35010000001310000102');
    assert.equal(xmlTag(result!.text, 'Result'), 'OK');
    nvr.control.mode = 'error';
    try {
      assert.equal((await mapped.manscdp('Control', 'DeviceControl', 7102, '35010000001310000102', '<GuardCmd>ResetGuard</GuardCmd>\r\n')).status, 200);
      const [refused] = await mapped.collect('DeviceControl', 7102, (p) => p.length >= 1);
      assert.equal(xmlTag(refused!.text, 'Result'), 'ERROR', "the device's own Result, not ours");
    } finally {
      nvr.control.mode = 'ok';
    }
  });

  test('a subscribed upper is sent a catalog NOTIFY with OFF items when a shared device goes offline', async () => {
    const res = await city.request('SUBSCRIBE', PLATFORM_ID, iconv.encode(`<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${++sn}</SN>\r\n<DeviceID>${PLATFORM_ID}</DeviceID>\r\n</Query>\r\n`, 'gb2312'), [
      ['Event', 'Catalog'],
      ['Expires', '600'],
    ]);
    assert.equal(res.status, 200);
    assert.equal(header(res, 'expires'), '600');
    assert.equal((await server.api(`/api/v1/uppers/${CITY}`).then((r) => r.json()) as { subscriptions: number }).subscriptions, 1);
    assert.equal((await nvr.unregister()).status, 200);
    await city.until(() => city.xml.some((x) => x.root === 'Notify' && x.cmdType === 'Catalog'), 3000, 'a catalog NOTIFY');
    const notifies = city.xml.filter((x) => x.root === 'Notify' && x.cmdType === 'Catalog');
    const items = notifies.flatMap((n) => xmlItems(n.text));
    assert.equal(items.length, 5);
    for (const item of items) {
      assert.equal(xmlTag(item, 'Event'), 'OFF');
      assert.equal(xmlTag(item, 'Status'), 'OFF');
    }
    assert.equal(header(notifies[0]!.message, 'event'), 'Catalog');
    assert.ok(!mapped.xml.some((x) => x.root === 'Notify' && x.cmdType === 'Catalog'), 'an upper without a subscription gets none');
    assert.equal((await nvr.register()).status, 200);
  });

  test('sharing and unsharing a device notifies the subscribed upper with ADD and DEL items', async () => {
    const seen = city.xml.length;
    const added = await server.api(`/api/v1/uppers/${CITY}/shares`, { method: 'POST', body: JSON.stringify({ add: [{ id: IPC }] }) });
    assert.equal(added.status, 200);
    assert.ok(((await added.json()) as { items: Array<{ localId: string; kind: string }> }).items.some((s) => s.localId === IPC && s.kind === 'device'));
    const notified = (event: string) => city.xml.slice(seen).filter((x) => x.root === 'Notify').flatMap((x) => xmlItems(x.text)).filter((i) => xmlTag(i, 'Event') === event);
    await city.until(() => notified('ADD').length > 0, 3000, 'NOTIFY ADD');
    assert.deepEqual(notified('ADD').map((i) => xmlTag(i, 'DeviceID')), [ipc.channelIds[0]]);
    assert.equal((await server.api(`/api/v1/uppers/${CITY}/shares/${IPC}`, { method: 'DELETE' })).status, 204);
    await city.until(() => notified('DEL').length > 0, 3000, 'NOTIFY DEL');
    assert.deepEqual(notified('DEL').map((i) => xmlTag(i, 'DeviceID')), [ipc.channelIds[0]]);
  });

  test('an upper that unsubscribes (SUBSCRIBE Expires 0 in its dialog) is sent a terminating NOTIFY and counts one subscription less', async () => {
    const subscriptions = async (): Promise<number> => ((await server.api(`/api/v1/uppers/${CITY}`).then((r) => r.json())) as { subscriptions: number }).subscriptions;
    const query = () => iconv.encode(`<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${++sn}</SN>\r\n<DeviceID>${PLATFORM_ID}</DeviceID>\r\n</Query>\r\n`, 'gb2312');
    const before = await subscriptions();
    const res = await city.request('SUBSCRIBE', PLATFORM_ID, query(), [['Event', 'Catalog'], ['Expires', '600']]);
    assert.equal(res.status, 200);
    assert.equal(await subscriptions(), before + 1);
    const callId = header(res, 'call-id');
    const terminating = new Promise<string>((resolve) => {
      const onMessage = (m: { method?: string }): void => {
        const message = m as Parameters<typeof header>[0];
        if (m.method === 'NOTIFY' && header(message, 'call-id') === callId) {
          city.off('message', onMessage);
          resolve(header(message, 'subscription-state') ?? '');
        }
      };
      city.on('message', onMessage);
    });
    const unsubscribed = await city.request('SUBSCRIBE', PLATFORM_ID, query(), [['Event', 'Catalog'], ['Expires', '0']], 3000, { response: res, cseq: 2 });
    assert.equal(unsubscribed.status, 200);
    assert.equal(header(unsubscribed, 'expires'), '0');
    const state = await Promise.race([terminating, new Promise<string>((r) => setTimeout(() => r('none within 3 s'), 3000))]);
    assert.match(state, /^terminated/i);
    assert.equal(await subscriptions(), before);
  });

  test('an alarm on a shared channel is sent upward with the ID each upper knows', async () => {
    const delivered = await server.app.cascade.forwardAlarm({
      deviceId: NVR, channelId: nvr.channelIds[1]!, priority: 1, method: 5, type: 2, time: Date.parse('2026-03-01T02:00:00Z'), description: '越界', longitude: 119.3, latitude: 26.08,
    });
    assert.equal(delivered, 2);
    await mapped.until(() => mapped.xml.some((x) => x.cmdType === 'Alarm'), 2000, 'alarm');
    const alarm = mapped.xml.find((x) => x.cmdType === 'Alarm')!;
    assert.equal(xmlTag(alarm.text, 'DeviceID'), '35010000001310000102');
    assert.equal(xmlTag(alarm.text, 'AlarmTime'), '2026-03-01T10:00:00');
    assert.equal(xmlTag(alarm.text, 'AlarmDescription'), '越界');
    assert.equal(xmlTag(alarm.text, 'AlarmType'), '2');
    const cityAlarm = await waitFor(() => city.xml.find((x) => x.cmdType === 'Alarm'), 2000, 'city alarm');
    assert.equal(xmlTag(cityAlarm.text, 'DeviceID'), nvr.channelIds[1]);
    assert.equal(await server.app.cascade.forwardAlarm({ deviceId: IPC, time: Date.now() }), 0, 'unshared: nobody');
  });

  test('an alarm a device raises on a shared channel reaches the upper platform by itself', async () => {
    const before = city.xml.filter((x) => x.cmdType === 'Alarm').length;
    const outcome = await nvr.raiseAlarm({ sourceId: nvr.channelIds[2]!, priority: 2, method: 5, type: 2, description: 'tripwire 2' });
    assert.equal(outcome.status, 200);
    const sent = await waitFor(() => city.xml.filter((x) => x.cmdType === 'Alarm').slice(before).find((x) => xmlTag(x.text, 'AlarmDescription') === 'tripwire 2'), 3000, 'alarm upward');
    assert.equal(xmlTag(sent.text, 'DeviceID'), nvr.channelIds[2]);
    assert.equal(xmlTag(sent.text, 'AlarmPriority'), '2');
    // The mapped upper shares only channels 0 and 1: it is not told.
    assert.ok(!mapped.xml.some((x) => x.cmdType === 'Alarm' && xmlTag(x.text, 'AlarmDescription') === 'tripwire 2'));
  });

  test('a request from a platform that is not configured is left to the device side', async () => {
    const stranger = new UpperSim({ id: '36010000002000000001', users: new Map() });
    await stranger.start();
    try {
      stranger.lower = { transport: 'udp', address: '127.0.0.1', port: server.sipPort };
      const res = await stranger.manscdp('Query', 'Catalog', 1, PLATFORM_ID);
      assert.notEqual(res.status, 200);
    } finally {
      await stranger.stop();
    }
  });
});
