/**
 * The keepalive lane inside the real server: keepalives of a registered device are answered by
 * native/sip-udp and still keep it online (they are recorded before the liveness sweep looks);
 * a device that left (deleted, unregistered) is answered by the JS stack again. The same
 * behaviour with the lane switched off (sip.nativeUdp false).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SimDevice } from '../sim/device';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

let seq = 0;
function camera(server: TestServer): SimDevice {
  seq += 1;
  return new SimDevice({
    deviceId: `3402000000132${String(7100000 + seq)}`,
    password: '12345678',
    server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
    transport: 'udp',
    kind: 'ipc',
    timers: { t1Ms: 100, maxTransmissions: 4 },
  });
}

async function metric(server: TestServer, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

async function device(server: TestServer, id: string): Promise<{ status: number; body: { online?: boolean } }> {
  const res = await server.api(`/api/v1/devices/${id}`);
  return { status: res.status, body: (await res.json()) as { online?: boolean } };
}

async function events(server: TestServer, id: string): Promise<string[]> {
  const res = await server.api(`/api/v1/devices/${id}/events`);
  return ((await res.json()) as { items: Array<{ type: string; reason: string }> }).items.map((e) => `${e.type}:${e.reason}`);
}

for (const nativeUdp of [true, false]) {
  describe(`keepalives with sip.nativeUdp ${nativeUdp}`, () => {
    const sims: SimDevice[] = [];
    let server: TestServer;
    after(async () => {
      await Promise.all(sims.map((s) => s.stop()));
      await server?.stop();
    });

    test('a device keeping alive for longer than the timeout stays online, with no event but its registration', async () => {
      // Offline 3 s after the last keepalive; keepalives every 0.5 s for 5 s.
      server = await startTestServer({ 'keepalive.intervalSec': 1, 'keepalive.timeoutCount': 3, 'sip.nativeUdp': nativeUdp });
      const cam = camera(server);
      sims.push(cam);
      await cam.start();
      assert.equal((await cam.register()).status, 200);
      const laneBefore = await metric(server, 'gbvms_sip_keepalive_lane_total');
      for (let i = 0; i < 10; i++) {
        assert.equal(await cam.sendKeepalive(), 200);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal((await device(server, cam.deviceId)).body.online, true);
      assert.deepEqual(await events(server, cam.deviceId), ['online:register']);
      // Recorded at most a second later: then counted.
      const lane = await waitFor(async () => {
        const n = (await metric(server, 'gbvms_sip_keepalive_lane_total')) - laneBefore;
        return nativeUdp ? (n >= 10 ? n : null) : n + 1;
      }, 3000, 'lane keepalives counted');
      if (nativeUdp) assert.equal(lane, 10, 'every keepalive after REGISTER answered by the lane');
      else assert.equal(lane, 1, 'no lane without the native reader');
      assert.ok((await metric(server, 'gbvms_sip_messages_total{direction="in",method="MESSAGE",status=""}')) >= 10);
    });

    test('stops answering for a device that is deleted, and the device goes offline when it goes quiet', async () => {
      const cam = camera(server);
      sims.push(cam);
      await cam.start();
      assert.equal((await cam.register()).status, 200);
      assert.equal(await cam.sendKeepalive(), 200);
      const quiet = camera(server);
      sims.push(quiet);
      await quiet.start();
      assert.equal((await quiet.register()).status, 200);
      assert.equal(await quiet.sendKeepalive(), 200);

      assert.equal((await server.api(`/api/v1/devices/${cam.deviceId}`, { method: 'DELETE' })).status, 204);
      assert.equal(await cam.sendKeepalive(), 403, 'a deleted device is told to register again');

      await waitFor(async () => (await device(server, quiet.deviceId)).body.online === false, 6000, 'quiet device offline');
      assert.equal(await quiet.sendKeepalive(), 200);
      await waitFor(async () => (await device(server, quiet.deviceId)).body.online === true, 3000, 'back online');
      assert.deepEqual(await events(server, quiet.deviceId), ['online:register', 'offline:keepalive-timeout', 'online:keepalive']);
    });
  });
}
