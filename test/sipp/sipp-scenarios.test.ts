import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { header, MiniRegistrar, type MiniRegistrarOptions } from '../sim/mini-registrar';
import { parseStatCsv, runSipp, type RunSippOptions } from './run-sipp';

const SERVER_ID = '34020000002000000001';
const DOMAIN = '3402000000';
const DEVICES = ['34020000001320000101', '34020000001320000102', '34020000001320000103'];
const PASSWORD = 'sipp-pw';
const CSV = ['SEQUENTIAL', ...DEVICES.map((id) => `${id};${PASSWORD}`)].join('\n');

async function withRegistrar<T>(
  options: Partial<MiniRegistrarOptions>,
  fn: (registrar: MiniRegistrar) => Promise<T>,
): Promise<T> {
  const registrar = new MiniRegistrar({ users: new Map(DEVICES.map((id) => [id, PASSWORD])), ...options });
  await registrar.start();
  try {
    return await fn(registrar);
  } finally {
    await registrar.stop();
  }
}

function sipp(registrar: MiniRegistrar, options: Partial<RunSippOptions> & { scenario: string }): ReturnType<typeof runSipp> {
  const tcp = options.transport === 't1';
  return runSipp({
    server: `127.0.0.1:${tcp ? registrar.tcpPort : registrar.udpPort}`,
    transport: 'u1',
    serverId: SERVER_ID,
    domain: DOMAIN,
    timeoutS: 10,
    ...options,
  });
}

function explain(result: Awaited<ReturnType<typeof runSipp>>): string {
  return `exit ${result.exitCode}\n${result.command.join(' ')}\n${result.errors}\n${result.stderr}`;
}

describe('SIPp GB/T 28181 scenarios against a digest-checking registrar', () => {
  const registrar = new MiniRegistrar({ users: new Map(DEVICES.map((id) => [id, PASSWORD])) });
  before(() => registrar.start());
  after(() => registrar.stop());

  test('register-auth registers three devices from the CSV; the registrar verifies every SIPp digest', async () => {
    const result = await sipp(registrar, { scenario: 'register-auth.xml', injectCsv: CSV, calls: 3, rate: 100 });
    assert.equal(result.exitCode, 0, explain(result));
    assert.equal(result.stats?.successfulCalls, 3);
    assert.equal(result.stats.failedCalls, 0);
    assert.deepEqual([...registrar.bindings.keys()].sort(), DEVICES);
    // Initial authorised REGISTER and the refresh, for each device.
    assert.equal(registrar.authAttempts.length, 6);
    for (const attempt of registrar.authAttempts) {
      assert.ok(attempt.valid, `digest of ${attempt.username} verified with node:crypto`);
      assert.equal(attempt.params.get('qop'), 'auth');
      assert.equal(attempt.params.get('uri'), attempt.requestUri, 'digest uri is the Request-URI (-auth_uri)');
    }
    const refreshes = registrar.authAttempts.filter((a) => a.params.get('nc') === '00000002');
    assert.equal(refreshes.length, 3);
    const registers = registrar.received.filter((r) => r.message.method === 'REGISTER');
    assert.equal(new Set(registers.map((r) => /branch=([^;\s]+)/.exec(header(r.message, 'via') ?? '')?.[1])).size, 9);
    assert.ok(registers.every((r) => header(r.message, 'x-gb-ver') === '3.0'));
  });

  test('register-storm registers each device with one challenge and one authenticated REGISTER, no refresh', async () => {
    const before = registrar.authAttempts.length;
    const registersBefore = registrar.received.filter((r) => r.message.method === 'REGISTER').length;
    const result = await sipp(registrar, { scenario: 'register-storm.xml', injectCsv: CSV, calls: 3, rate: 100 });
    assert.equal(result.exitCode, 0, explain(result));
    assert.equal(result.stats?.successfulCalls, 3);
    const attempts = registrar.authAttempts.slice(before);
    assert.equal(attempts.length, 3, 'one authenticated REGISTER per device');
    assert.ok(attempts.every((a) => a.valid && a.params.get('nc') === '00000001'));
    assert.equal(registrar.received.filter((r) => r.message.method === 'REGISTER').length - registersBefore, 6);
  });

  test('keepalive sends a Notify Keepalive MESSAGE with a correct Content-Length and gets 200', async () => {
    const result = await sipp(registrar, { scenario: 'keepalive.xml', injectCsv: CSV, calls: 1 });
    assert.equal(result.exitCode, 0, explain(result));
    const message = registrar.received.find((r) => r.message.method === 'MESSAGE')!;
    const body = message.message.body.toString('latin1');
    assert.match(body, /^<\?xml version="1\.0" encoding="GB2312"\?>\r\n<Notify>\r\n<CmdType>Keepalive<\/CmdType>/);
    assert.ok(body.includes(`<DeviceID>${DEVICES[0]}</DeviceID>`));
    assert.equal(Number(header(message.message, 'content-length')), message.message.body.length);
  });

  test('register-keepalive registers then sends the number of keepalives set with -set', async () => {
    const before = registrar.received.length;
    const result = await sipp(registrar, {
      scenario: 'register-keepalive.xml',
      injectCsv: CSV,
      sets: { keepalives: '3', keepalive_ms: '20' },
    });
    assert.equal(result.exitCode, 0, explain(result));
    const keepalives = registrar.received.slice(before).filter((r) => r.message.method === 'MESSAGE');
    assert.equal(keepalives.length, 3);
    assert.equal(new Set(keepalives.map((k) => header(k.message, 'via'))).size, 3, 'one branch per keepalive');
  });

  test('unregister removes the binding with an authorised Expires: 0', async () => {
    const result = await sipp(registrar, { scenario: 'unregister.xml', injectCsv: CSV, calls: 1 });
    assert.equal(result.exitCode, 0, explain(result));
    assert.equal(registrar.bindings.has(DEVICES[0]!), false);
    assert.equal(registrar.bindings.has(DEVICES[1]!), true);
  });

  test('unknown-id is refused without a challenge', async () => {
    const noncesBefore = registrar.nonces.size;
    const result = await sipp(registrar, { scenario: 'unknown-id.xml', keys: { bad_id: '123' } });
    assert.equal(result.exitCode, 0, explain(result));
    const fromBadId = registrar.received.filter((r) => (header(r.message, 'from') ?? '').startsWith('<sip:123@'));
    assert.equal(fromBadId.length, 1);
    assert.equal(registrar.nonces.size, noncesBefore, 'no challenge issued');
  });

  test('a wrong password in the CSV makes register-auth fail (exit code 1)', async () => {
    const badCsv = `SEQUENTIAL\n${DEVICES[2]};not-the-password`;
    const result = await sipp(registrar, { scenario: 'register-auth.xml', injectCsv: badCsv });
    assert.equal(result.exitCode, 1);
    assert.equal(result.stats?.failedCalls, 1);
    assert.match(result.errors, /403 Forbidden/);
  });
});

// Each test below has its own registrar, so they run side by side.
describe('SIPp wrong-password scenario and TCP', { concurrency: true }, () => {
  test('passes when the platform answers 403', async () => {
    await withRegistrar({ onBadDigest: 403 }, async (registrar) => {
      const result = await sipp(registrar, { scenario: 'wrong-password.xml', injectCsv: CSV });
      assert.equal(result.exitCode, 0, explain(result));
      assert.equal(registrar.authAttempts[0]?.valid, false);
    });
  });

  test('passes when the platform answers 401 with a fresh challenge', async () => {
    await withRegistrar({ onBadDigest: 401 }, async (registrar) => {
      const result = await sipp(registrar, { scenario: 'wrong-password.xml', injectCsv: CSV });
      assert.equal(result.exitCode, 0, explain(result));
      assert.equal(registrar.nonces.size, 2);
    });
  });

  test('fails against a lax platform that accepts the wrong digest', async () => {
    await withRegistrar({ acceptAnyDigest: true }, async (registrar) => {
      const result = await sipp(registrar, { scenario: 'wrong-password.xml', injectCsv: CSV });
      assert.equal(result.exitCode, 1);
    });
  });

  test('register-auth works over one TCP connection', async () => {
    await withRegistrar({}, async (registrar) => {
      const result = await sipp(registrar, { scenario: 'register-auth.xml', transport: 't1', injectCsv: CSV, calls: 2, rate: 100 });
      assert.equal(result.exitCode, 0, explain(result));
      assert.equal(registrar.bindings.size, 2);
      assert.ok([...registrar.bindings.values()].every((p) => p.transport === 'tcp'));
    });
  });
});

describe('SIPp statistics file', () => {
  test('the last line of -trace_stat is read by column name', () => {
    const csv = 'StartTime;TotalCallCreated;SuccessfulCall(C);FailedCall(C);\n0;0;0;0;\nx;3;2;1;\n';
    const stats = parseStatCsv(csv);
    assert.deepEqual([stats?.createdCalls, stats?.successfulCalls, stats?.failedCalls], [3, 2, 1]);
    assert.equal(parseStatCsv(''), undefined);
  });
});
