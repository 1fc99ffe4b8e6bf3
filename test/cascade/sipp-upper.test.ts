/**
 * SIPp plays the upper platform's registrar (test/cascade/sipp-upper-registrar.xml): gbvms must
 * register upward with a digest SIPp's own verifyauth accepts, and refresh with it.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runSipp } from '../sipp/run-sipp';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';

const SCENARIO = fileURLToPath(new URL('./sipp-upper-registrar.xml', import.meta.url));

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('SIPp as the upper platform registrar', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'catalog.queryOnRegister': false, 'cascade.retryMinMs': 200, 'cascade.requestTimeoutMs': 1000 });
  });
  after(async () => {
    await server.stop();
  });

  async function run(upperId: string, password: string) {
    const port = await freeUdpPort();
    // SIPp takes the last -p it is given: ours, so that the upper we configure can point at it.
    const sipp = runSipp({ scenario: SCENARIO, server: `127.0.0.1:${server.sipPort}`, transport: 'u1', timeoutS: 8, extraArgs: ['-p', String(port)] });
    await new Promise((r) => setTimeout(r, 300));
    const res = await server.api('/api/v1/uppers', {
      method: 'POST',
      body: JSON.stringify({ upperId, host: '127.0.0.1', port, password, registerExpiresSec: 2, keepaliveIntervalSec: 30 }),
    });
    assert.equal(res.status, 201);
    return sipp;
  }

  test('registers with the digest SIPp verifies, and refreshes with it before expiry', async () => {
    const result = await run('35010000002000000021', 'sipp-upper-pw');
    assert.equal(sippSucceeded(await result), true);
    const status = (await (await server.api('/api/v1/uppers/35010000002000000021/status')).json()) as { state: string };
    assert.equal(status.state, 'registered');
    await server.api('/api/v1/uppers/35010000002000000021', { method: 'DELETE' });
  });

  test('a wrong password is refused by SIPp and the link shows why', async () => {
    const sipp = run('35010000002000000022', 'not-the-password');
    const result = await sipp;
    assert.equal(result.exitCode, 1, result.stderr);
    const status = await waitFor(async () => {
      const s = (await (await server.api('/api/v1/uppers/35010000002000000022/status')).json()) as { state: string; reason: string };
      return s.state === 'failing' ? s : null;
    }, 3000, 'failing');
    assert.match(status.reason, /^auth-rejected: 403/);
    await server.api('/api/v1/uppers/35010000002000000022', { method: 'DELETE' });
  });
});

function sippSucceeded(result: Awaited<ReturnType<typeof runSipp>>): boolean {
  if (result.exitCode !== 0) throw new Error(`${result.command.join(' ')}\nexit ${result.exitCode}\n${result.errors}\n${result.stderr}`);
  return result.stats?.successfulCalls === 1;
}
