import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SimFleet } from './fleet';
import { deviceIdFor } from './ids';
import { header, MiniRegistrar } from './mini-registrar';
import { percentile, summarize } from './stats';

const SERVER_ID = '34020000002000000001';
const COUNT = 200;

describe('SimFleet over shared UDP sockets', () => {
  const ids = Array.from({ length: COUNT }, (_, i) => deviceIdFor(i, 'ipc'));
  // The last device is not provisioned on the platform: its REGISTER must end in 403.
  const registrar = new MiniRegistrar({ users: new Map(ids.slice(0, COUNT - 1).map((id) => [id, `pw-${id}`])) });
  let fleet: SimFleet;

  before(async () => {
    await registrar.start();
    fleet = new SimFleet({
      count: COUNT,
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      devicesPerSocket: 70,
      passwordFor: (id) => `pw-${id}`,
    });
    await fleet.start();
  });
  after(async () => {
    await fleet.stop();
    await fleet.stop();
    await registrar.stop();
  });

  test('200 devices share 3 sockets and register, each answering its own challenge', async () => {
    assert.equal(fleet.endpoints.length, 3);
    assert.equal(new Set(fleet.devices.map((d) => d.localPort)).size, 3);
    const summary = await fleet.registerAll({ concurrency: 50, ratePerSec: 2000 });
    assert.equal(summary.total, COUNT);
    assert.deepEqual(summary.byStatus, { '200': COUNT - 1, '403': 1 });
    assert.equal(summary.ok, COUNT - 1);
    assert.equal(summary.timeouts, 0);
    assert.ok(summary.latencyMs.p50 > 0 && summary.latencyMs.p99 >= summary.latencyMs.p50);
    // Paced at 2000/s: the 200th start is due ~100 ms after the first.
    assert.ok(summary.durationMs >= 95, `duration ${summary.durationMs}`);
    assert.equal(registrar.authAttempts.filter((a) => a.valid).length, COUNT - 1);
    const register = fleet.transactionStats()['REGISTER'];
    assert.deepEqual(register?.byStatus, { '401': COUNT - 1, '403': 1, '200': COUNT - 1 });
    assert.equal(register.latencyMs.count, 2 * COUNT - 1);
  });

  test('keepaliveAll sends one keepalive per device and counts the statuses', async () => {
    const summary = await fleet.keepaliveAll({ concurrency: 100 });
    assert.equal(summary.ok, COUNT);
    assert.equal(fleet.transactionStats()['MESSAGE']?.count, COUNT);
  });

  test('a platform query reaches the right device on a shared socket', async () => {
    const target = fleet.devices[157]!; // on the third socket
    const ok = await registrar.query(target.deviceId, 'DeviceInfo', 5, SERVER_ID);
    assert.equal(ok.status, 200);
    const answer = await registrar.waitFor(
      (r) => r.message.method === 'MESSAGE' && r.message.body.includes('<CmdType>DeviceInfo</CmdType>'),
    );
    assert.ok(answer.message.body.includes(`<DeviceID>${target.deviceId}</DeviceID>`));
    assert.ok((header(answer.message, 'from') ?? '').includes(target.deviceId));
    if (target.answers.length === 0) await new Promise<void>((resolve) => target.once('answer', () => resolve()));
    assert.deepEqual(target.answers, [{ cmdType: 'DeviceInfo', sn: '5', statuses: [200] }]);
    assert.equal(fleet.devices.filter((d) => d.answers.length > 0).length, 1);
  });
});

describe('SimFleet of NVRs', () => {
  const ids = Array.from({ length: 3 }, (_, i) => deviceIdFor(i, 'nvr'));
  const registrar = new MiniRegistrar({ users: new Map(ids.map((id) => [id, '12345678'])) });
  let fleet: SimFleet;

  before(async () => {
    await registrar.start();
    fleet = new SimFleet({
      count: 3,
      kind: 'nvr',
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      device: { channels: 8 },
    });
    await fleet.start();
    await fleet.registerAll();
  });
  after(async () => {
    await fleet.stop();
    await registrar.stop();
  });

  test('a request addressed to a channel reaches its NVR on the shared socket', async () => {
    const nvr = fleet.devices[1]!;
    const channel = nvr.channelIds[5]!;
    const seen: string[] = [];
    nvr.on('request', (m) => seen.push(m.uri));
    const ok = await registrar.query(nvr.deviceId, 'DeviceStatus', 8, SERVER_ID, 2000, channel);
    assert.equal(ok.status, 200);
    assert.deepEqual(seen, [`sip:${channel}@127.0.0.1:${nvr.localPort}`]);
    const answer = await registrar.waitFor((r) => r.message.body.includes('<CmdType>DeviceStatus</CmdType>'));
    assert.ok(answer.message.body.includes(`<DeviceID>${channel}</DeviceID>`));
  });
});

describe('SimFleet timeouts', () => {
  const registrar = new MiniRegistrar({ users: new Map(), ignoreMessagesContaining: 'Keepalive' });
  let fleet: SimFleet;

  before(async () => {
    await registrar.start();
    fleet = new SimFleet({
      count: 20,
      server: { host: '127.0.0.1', port: registrar.udpPort, id: SERVER_ID, domain: '3402000000' },
      transport: 'udp',
      timers: { t1Ms: 30, maxTransmissions: 2, timeoutMs: 150 },
    });
    await fleet.start();
  });
  after(async () => {
    await fleet.stop();
    await registrar.stop();
  });

  test('unanswered keepalives are counted as timeouts with status 408', async () => {
    const summary = await fleet.keepaliveAll({ concurrency: 20 });
    assert.equal(summary.timeouts, 20);
    assert.deepEqual(summary.byStatus, { '408': 20 });
    assert.equal(registrar.received.length, 40, 'each keepalive sent twice');
  });
});

describe('latency summaries', () => {
  test('percentiles use the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    const s = summarize(samples);
    assert.deepEqual([s.p50, s.p90, s.p99, s.max, s.count], [50, 90, 99, 100, 100]);
    assert.equal(percentile([], 50), 0);
    assert.equal(summarize([]).mean, 0);
  });
});
