/**
 * Recordings on a device's own disk (RecordInfo), asked through the API of the real server and
 * answered by simulated NVRs and cameras the way real ones answer: in several MESSAGEs, out of
 * order, with a space in their times, with nothing at all, or stopping half-way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimDevice } from '../sim/device';
import type { SimRecording } from '../sim/recordings';
import type { RecordInfoResult } from '../../src/sip/device/record-info-collector';
import type { SimDeviceOptions } from '../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

/** The API answer is the collector's result as JSON, or an error. */
type Recordings = RecordInfoResult & { error?: { code: string; message: string } };

const COLLECT_TIMEOUT_MS = 1500;
const DAY = 24 * 3600_000;

describe('recordings on the device (RecordInfo)', () => {
  let server: TestServer;
  const sims: SimDevice[] = [];

  const online = async (options: Partial<SimDeviceOptions> & { deviceId: string }): Promise<SimDevice> => {
    const d = new SimDevice({
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      kind: 'nvr',
      channels: 3,
      timers: { t1Ms: 100, maxTransmissions: 4 },
      ...options,
    });
    sims.push(d);
    await d.start();
    assert.equal((await d.register()).status, 200);
    const expected = d.channelIds.length;
    await waitFor(async () => {
      const page = (await (await server.api(`/api/v1/devices/${d.deviceId}/channels`)).json()) as { total: number };
      return page.total === expected;
    }, 5000, `catalog of ${d.deviceId}`);
    return d;
  };

  const recordings = async (channelId: string, query: string): Promise<{ status: number; body: Recordings; ms: number }> => {
    const t0 = Date.now();
    const res = await server.api(`/api/v1/channels/${channelId}/device-recordings?${query}`);
    return { status: res.status, body: (await res.json()) as Recordings, ms: Date.now() - t0 };
  };

  const lastDays = (days: number): string => {
    const now = Date.now();
    return `start=${new Date(now - days * DAY).toISOString()}&end=${new Date(now).toISOString()}`;
  };

  const recordInfoQueries = (d: SimDevice): string[] =>
    d.received
      .filter((r) => r.message.type === 'request' && r.message.method === 'MESSAGE')
      .map((r) => (r.message.type === 'request' ? r.message.body.toString('latin1') : ''))
      .filter((body) => body.includes('<CmdType>RecordInfo</CmdType>'));

  before(async () => {
    server = await startTestServer({ 'catalog.timeoutMs': COLLECT_TIMEOUT_MS });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('an NVR that splits its answer into parts out of order, with spaces in its times, is reassembled in full', async () => {
    const nvr = await online({
      deviceId: '34020000001180000801',
      quirks: { recordInfoItemsPerMessage: 4, recordItemsOutOfOrder: true, recordTimeWithSpace: true },
    });
    const channelId = nvr.channelIds[1]!;
    const { status, body } = await recordings(channelId, lastDays(2));
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.deviceId, nvr.deviceId);
    assert.equal(body.channelId, channelId);
    assert.equal(body.sumNum, 24);
    assert.equal(body.complete, true);
    assert.equal(body.skipped, 0);
    const expected = nvr.recordingsOf(channelId);
    assert.deepEqual(body.items.map((i) => [i.start, i.end, i.type, i.filePath, i.fileSize]), expected.map((r) => [r.start, r.end, r.type, r.filePath, r.fileSize]));
    assert.ok(body.items.every((i) => i.deviceId === channelId && i.name === nvr.channelNames[1] && i.secrecy === 0));
    // The device notes its answer once the last part's 200 reached it, a moment after the API answered.
    const answer = await waitFor(() => nvr.answers.find((a) => a.cmdType === 'RecordInfo'), 2000, 'the device to finish its answer');
    assert.deepEqual(answer.statuses, [200, 200, 200, 200, 200, 200], 'six MESSAGEs of at most four items, each answered');

    // What the platform sent: the channel's ID, local times without a zone, Type all.
    const [query] = recordInfoQueries(nvr);
    assert.ok(query);
    assert.match(query, new RegExp(`<DeviceID>${channelId}</DeviceID>`));
    assert.match(query, /<StartTime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}<\/StartTime>/);
    assert.match(query, /<Type>all<\/Type>/);
  });

  test('the type filter and a narrower range reach the device, and times given as epoch ms work', async () => {
    const nvr = await online({ deviceId: '34020000001180000802' });
    const channelId = nvr.channelIds[0]!;
    const alarms = await recordings(channelId, `${lastDays(2)}&type=alarm`);
    assert.equal(alarms.status, 200);
    assert.equal(alarms.body.items.length, 4);
    assert.ok(alarms.body.items.every((i) => i.type === 'alarm'));
    assert.match(recordInfoQueries(nvr)[0] ?? '', /<Type>alarm<\/Type>/);

    const files = nvr.recordingsOf(channelId);
    const from = files[10]!.start + 60_000; // inside the 11th file
    const to = files[13]!.start; // the 14th file starts exactly at the end: not included
    const some = await recordings(channelId, `start=${from}&end=${to}`);
    assert.equal(some.status, 200);
    assert.deepEqual(some.body.items.map((i) => i.start), [files[10]!.start, files[11]!.start, files[12]!.start]);
    assert.equal(some.body.sumNum, 3);
  });

  test('a device with no recordings in the range answers SumNum 0 and the result is empty and complete at once', async () => {
    const nvr = await online({ deviceId: '34020000001180000803' });
    const weekAgo = Date.now() - 7 * DAY;
    const { status, body, ms } = await recordings(nvr.channelIds[2]!, `start=${weekAgo}&end=${weekAgo + DAY}`);
    assert.equal(status, 200);
    assert.deepEqual([body.sumNum, body.complete, body.items.length], [0, true, 0]);
    assert.ok(ms < COLLECT_TIMEOUT_MS, `answered in ${ms} ms, without waiting for the timeout`);
  });

  test('a camera over TCP answers for its channel and, asked by its own ID, for itself', async () => {
    const base = Date.UTC(2024, 4, 4, 6, 43, 16);
    const files: SimRecording[] = [
      { start: base + 3600_000, end: base + 7200_000, type: 'manual', recorderId: '34020000001320000804', address: '一号楼' },
      { start: base, end: base + 1990_000, filePath: `${base / 1000}_${base / 1000 + 1990}` },
    ];
    const ipc = await online({ deviceId: '34020000001320000804', kind: 'ipc', transport: 'tcp', recordings: files });
    for (const id of [ipc.channelIds[0]!, ipc.deviceId]) {
      const { status, body } = await recordings(id, 'start=2024-05-04T00:00:00%2B08:00&end=2024-05-05T00:00:00%2B08:00');
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.deviceId, ipc.deviceId);
      assert.deepEqual(body.items.map((i) => [i.start, i.end, i.type]), [[base, base + 1990_000, 'time'], [base + 3600_000, base + 7200_000, 'manual']]);
      assert.deepEqual([body.items[1]?.recorderId, body.items[1]?.address], ['34020000001320000804', '一号楼']);
    }
  });

  test('an answer that stops half-way comes back after the timeout with what arrived, marked incomplete', async () => {
    const nvr = await online({ deviceId: '34020000001180000805', quirks: { recordInfoItemsPerMessage: 5, recordInfoStopAfterParts: 2 } });
    const { status, body, ms } = await recordings(nvr.channelIds[0]!, lastDays(2));
    assert.equal(status, 200);
    assert.deepEqual([body.sumNum, body.complete, body.items.length], [24, false, 10]);
    assert.deepEqual(body.items.map((i) => i.start), nvr.recordingsOf(nvr.channelIds[0]!).slice(0, 10).map((r) => r.start));
    assert.ok(ms >= COLLECT_TIMEOUT_MS - 100, `waited ${ms} ms`);
  });

  test('a device that never answers gives 504; unknown channels 404; offline devices 409', async () => {
    const silent = await online({ deviceId: '34020000001180000806', quirks: { ignoreRecordInfo: true } });
    const timedOut = await recordings(silent.channelIds[0]!, lastDays(1));
    assert.equal(timedOut.status, 504);
    assert.equal(timedOut.body.error?.code, 'device_timeout');

    const unknown = await recordings('34020000001310099999', lastDays(1));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error?.code, 'not_found');

    const gone = await online({ deviceId: '34020000001180000807' });
    assert.equal((await gone.unregister()).status, 200);
    const offline = await recordings(gone.channelIds[0]!, lastDays(1));
    assert.equal(offline.status, 409);
    assert.equal(offline.body.error?.code, 'device_offline');
  });

  test('bad ranges and types are refused with 400 before anything is sent', async () => {
    const nvr = await online({ deviceId: '34020000001180000808' });
    const channelId = nvr.channelIds[0]!;
    const now = Date.now();
    const cases = [
      '',
      `start=${now}`,
      `end=${now}`,
      `start=${now}&end=${now}`,
      `start=${now}&end=${now - 1}`,
      `start=${now - 32 * DAY}&end=${now}`,
      `start=yesterday&end=${now}`,
      `${lastDays(1)}&type=motion`,
      `${lastDays(1)}&deviceId=123`,
    ];
    for (const query of cases) {
      const { status, body } = await recordings(channelId, query);
      assert.equal(status, 400, query);
      assert.equal(body.error?.code, 'bad_request', query);
    }
    const bad = await recordings('1234', lastDays(1));
    assert.equal(bad.status, 400);
    assert.equal(recordInfoQueries(nvr).length, 0, 'no RecordInfo reached the device');
    assert.equal((await recordings(channelId, `start=${now - 31 * DAY}&end=${now}`)).status, 200, 'exactly 31 days is allowed');
  });
});
