/**
 * SIPp (Debian's sip-tester) as an independent SIP peer against the real server: its digest,
 * framing and retransmissions are not ours, so these catch what a shared-code simulator cannot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runSipp, type RunSippOptions } from '../sipp/run-sipp';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

function csv(ids: string[], password: string): string {
  return `SEQUENTIAL\n${ids.map((id) => `${id};${password}`).join('\n')}\n`;
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `34020000001${prefix}${String(i + 1).padStart(6, '0')}`);
}

describe('SIPp devices against the server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'catalog.queryOnRegister': false });
  });
  after(async () => {
    await server.stop();
  });

  const sipp = (options: Omit<RunSippOptions, 'server' | 'serverId' | 'domain'>) =>
    runSipp({ server: `127.0.0.1:${server.sipPort}`, serverId: PLATFORM_ID, domain: PLATFORM_DOMAIN, timeoutS: 30, ...options });

  test('50 devices register with digest over UDP and are listed online', async () => {
    const devices = ids('320', 50);
    const result = await sipp({ scenario: 'register-auth.xml', transport: 'u1', injectCsv: csv(devices, '12345678'), calls: 50, rate: 200 });
    assert.equal(result.exitCode, 0, `${result.command.join(' ')}\n${result.errors}`);
    assert.equal(result.stats?.successfulCalls, 50);
    const res = await server.api('/api/v1/devices?online=true&type=132&limit=1000');
    const page = (await res.json()) as { items: Array<{ deviceId: string }> };
    for (const id of devices) assert.ok(page.items.some((d) => d.deviceId === id), id);
  });

  test('devices register and send keepalives over TCP', async () => {
    const devices = ids('321', 10);
    const result = await sipp({
      scenario: 'register-keepalive.xml',
      transport: 't1',
      injectCsv: csv(devices, '12345678'),
      calls: 10,
      rate: 100,
      sets: { keepalives: '3', keepalive_ms: '20' },
    });
    assert.equal(result.exitCode, 0, `${result.command.join(' ')}\n${result.errors}`);
    const device = await server.app.index.getDevice(devices[0]!);
    assert.equal(device?.transport, 'tcp');
    assert.equal(device?.online, true);
  });

  test('a device that unregisters is offline, with an unregister event', async () => {
    const [id] = ids('322', 1);
    const registered = await sipp({ scenario: 'register-auth.xml', transport: 'u1', injectCsv: csv([id!], '12345678') });
    assert.equal(registered.exitCode, 0);
    assert.equal((await server.app.index.getDevice(id!))?.online, true);
    const result = await sipp({ scenario: 'unregister.xml', transport: 'u1', injectCsv: csv([id!], '12345678') });
    assert.equal(result.exitCode, 0, `${result.command.join(' ')}\n${result.errors}`);
    await waitFor(async () => (await server.app.index.getDevice(id!))?.online === false, 2000, 'offline');
    const events = await server.app.index.listDeviceEvents({ deviceId: id!, from: 0, to: Date.now() + 1, limit: 10 });
    assert.equal(events.at(-1)?.reason, 'unregister');
  });

  test('a wrong password is refused', async () => {
    const result = await sipp({ scenario: 'wrong-password.xml', transport: 'u1', injectCsv: csv(ids('323', 1), 'not-the-password') });
    assert.equal(result.exitCode, 0, `${result.command.join(' ')}\n${result.errors}`);
    assert.equal((await server.app.index.getDevice(ids('323', 1)[0]!)), null);
  });

  test('an ID that is not a 20-digit code is refused', async () => {
    const result = await sipp({ scenario: 'unknown-id.xml', transport: 'u1', keys: { bad_id: '123' } });
    assert.equal(result.exitCode, 0, `${result.command.join(' ')}\n${result.errors}`);
  });
});
