/**
 * Registration with an upper platform, against the real server and the upper simulator: digest,
 * refresh, keepalive, failures (wrong password, upper down, slow upper) and recovery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, waitFor, PLATFORM_ID, type TestServer } from '../helpers/server';
import { SimDevice } from '../sim/device';
import { UpperSim } from './upper-sim';

const UPPER_ID = '35010000002000000001';
const PASSWORD = 'city-secret';

interface Status {
  state: string;
  reason: string | null;
  since: number;
  failedAttempts: number;
  lastKeepaliveAt: number | null;
  nextAttemptAt: number | null;
}

describe('registration with an upper platform', () => {
  let server: TestServer;
  const sims: UpperSim[] = [];

  before(async () => {
    server = await startTestServer({
      'catalog.queryOnRegister': false,
      'cascade.retryMinMs': 150,
      'cascade.retryMaxMs': 600,
      'cascade.requestTimeoutMs': 400,
    });
  });
  after(async () => {
    for (const sim of sims) await sim.stop();
    await server.stop();
  });

  async function upperSim(id: string, password = PASSWORD, options: { qop?: boolean } = {}): Promise<UpperSim> {
    const sim = new UpperSim({ id, users: new Map([[PLATFORM_ID, password]]), ...options });
    await sim.start();
    sims.push(sim);
    return sim;
  }

  async function addUpper(sim: UpperSim, fields: Record<string, unknown>): Promise<void> {
    const res = await server.api('/api/v1/uppers', {
      method: 'POST',
      body: JSON.stringify({ upperId: sim.id, host: '127.0.0.1', port: sim.udpPort, password: PASSWORD, ...fields }),
    });
    assert.equal(res.status, 201, await res.text());
  }

  const status = async (id: string): Promise<Status> => (await (await server.api(`/api/v1/uppers/${id}/status`)).json()) as Status;

  test('registers after a 401 challenge, refreshes before expiry and sends keepalives', async () => {
    const sim = await upperSim(UPPER_ID);
    await addUpper(sim, { registerExpiresSec: 2, keepaliveIntervalSec: 1 });
    await waitFor(async () => (await status(UPPER_ID)).state === 'registered', 3000, 'registered');
    await sim.until(() => sim.registrations.length >= 2, 4000, 'a refresh');
    await sim.until(() => sim.xml.filter((x) => x.cmdType === 'Keepalive').length >= 2, 4000, 'keepalives');
    const keepalive = sim.xml.find((x) => x.cmdType === 'Keepalive');
    assert.match(keepalive?.text ?? '', /<Notify>[\s\S]*<DeviceID>34020000002000000001<\/DeviceID>[\s\S]*<Status>OK<\/Status>/);
    const s = await status(UPPER_ID);
    assert.equal(s.state, 'registered');
    assert.ok(s.lastKeepaliveAt !== null);
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    assert.match(metrics, new RegExp(`gbvms_cascade_link_state\\{upper="${UPPER_ID}",state="registered"\\} 1`));
  });

  test('a wrong password leaves the link failing with the reason, retrying with growing delays; the right one registers', async () => {
    const id = '35010000002000000002';
    const sim = await upperSim(id, 'the-real-one');
    await addUpper(sim, { registerExpiresSec: 30, keepaliveIntervalSec: 5 });
    const first = await waitFor(async () => {
      const s = await status(id);
      return s.state === 'failing' ? s : null;
    }, 3000, 'failing');
    assert.match(first.reason ?? '', /^auth-rejected: 401/);
    await sim.until(() => sim.authFailures.length >= 8, 5000, 'four refused attempts');
    // An attempt can be refused twice in a row (credentials for the last nonce, then for a fresh one): gaps between attempts only.
    const gaps = sim.authFailures
      .slice(1)
      .map((t, i) => t - (sim.authFailures[i] ?? 0))
      .filter((gap) => gap > 60);
    // 150 ms doubling to the 600 ms cap (plus up to 20 % jitter).
    assert.ok(gaps[0]! >= 140 && gaps[0]! < 400, `first gap ${gaps[0]}`);
    assert.ok(gaps[2]! >= 550 && gaps[2]! < 900, `third gap ${gaps[2]}`);
    const later = await status(id);
    assert.equal(later.state, 'failing');
    assert.equal(later.since, first.since, 'failing since the first failure');
    assert.ok(later.failedAttempts >= 4);
    const patch = await server.api(`/api/v1/uppers/${id}`, { method: 'PATCH', body: JSON.stringify({ password: 'the-real-one' }) });
    assert.equal(patch.status, 200);
    await waitFor(async () => (await status(id)).state === 'registered', 3000, 'registered with the right password');
  });

  test('an upper that goes down is marked failing after missed keepalives and registered again when it is back', async () => {
    const id = '35010000002000000003';
    const sim = await upperSim(id);
    await addUpper(sim, { registerExpiresSec: 60, keepaliveIntervalSec: 1, keepaliveTimeoutCount: 2 });
    await waitFor(async () => (await status(id)).state === 'registered', 3000, 'registered');
    const registrations = sim.registrations.length;
    sim.down = true;
    const failing = await waitFor(async () => {
      const s = await status(id);
      return s.state === 'failing' ? s : null;
    }, 5000, 'failing');
    assert.equal(failing.reason, 'keepalive-timeout');
    sim.down = false;
    await waitFor(async () => (await status(id)).state === 'registered', 4000, 'registered again');
    assert.ok(sim.registrations.length > registrations);
    const events = server.app.events.recent(['cascade.link']).filter((e) => e.data.upperId === id).map((e) => [e.data.state, e.data.reason]);
    assert.deepEqual(events.slice(-3), [['registered', null], ['failing', 'keepalive-timeout'], ['registered', null]]);
  });

  test('a slow upper fails the link but never slows the devices: they register and send keepalives meanwhile', async () => {
    const id = '35010000002000000004';
    const sim = await upperSim(id);
    sim.delayMs = 2000;
    await addUpper(sim, { registerExpiresSec: 60, keepaliveIntervalSec: 1 });
    const device = new SimDevice({
      deviceId: '34020000001320000501',
      password: '12345678',
      transport: 'udp',
      kind: 'ipc',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: '3402000000' },
    });
    await device.start();
    try {
      const latencies: number[] = [];
      const until = Date.now() + 1500;
      let t = Date.now();
      assert.equal((await device.register()).status, 200);
      latencies.push(Date.now() - t);
      while (Date.now() < until) {
        t = Date.now();
        assert.equal(await device.sendKeepalive(), 200);
        latencies.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      const s = await waitFor(async () => {
        const st = await status(id);
        return st.state === 'failing' ? st : null;
      }, 3000, 'failing');
      assert.equal(s.reason, 'timeout');
      // The upper answers 2 s late: no device transaction may wait on it (the bound leaves room for a loaded test machine).
      const sorted = [...latencies].sort((a, b) => a - b);
      assert.ok(sorted[Math.floor(sorted.length / 2)]! < 150, `median device transaction ${sorted[Math.floor(sorted.length / 2)]} ms`);
      assert.ok(sorted.at(-1)! < 1000, `device transactions took up to ${sorted.at(-1)} ms`);
      assert.ok(latencies.length >= 10);
    } finally {
      await device.stop();
      sim.delayMs = 0;
    }
  });

  test('registers over TCP and without qop (RFC 2069 digest)', async () => {
    const id = '35010000002000000005';
    const sim = await upperSim(id, PASSWORD, { qop: false });
    await addUpper(sim, { transport: 'tcp', port: sim.tcpPort });
    await waitFor(async () => (await status(id)).state === 'registered', 3000, 'registered');
    assert.equal(sim.registrations.at(-1)?.peer.transport, 'tcp');
  });

  test('disabling and removing an upper unregisters with Expires 0', async () => {
    const id = '35010000002000000006';
    const sim = await upperSim(id);
    await addUpper(sim, {});
    await waitFor(async () => (await status(id)).state === 'registered', 3000, 'registered');
    const res = await server.api(`/api/v1/uppers/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    assert.equal(((await res.json()) as { status: Status }).status.state, 'disabled');
    await sim.until(() => sim.registrations.at(-1)?.expires === 0, 2000, 'unregister');
    await server.api(`/api/v1/uppers/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    await waitFor(async () => (await status(id)).state === 'registered', 3000, 'registered again');
    const count = sim.registrations.length;
    assert.equal((await server.api(`/api/v1/uppers/${id}`, { method: 'DELETE' })).status, 204);
    await sim.until(() => sim.registrations.length > count && sim.registrations.at(-1)?.expires === 0, 2000, 'unregister on removal');
    assert.equal((await server.api(`/api/v1/uppers/${id}`)).status, 404);
  });
});
