/**
 * The server with its runtime state in a real Redis (REDIS_URL): registrations outlive a restart,
 * so devices stay online and their keepalives are accepted without a new REGISTER.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SimDevice } from '../sim/device';
import { startRedisServer } from '../helpers/redis';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer } from '../helpers/server';

let redis: { url: string; stop(): Promise<void> };
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.stop();
});

test('with Redis state, a restart keeps registrations: the device stays online and its keepalive is accepted', async () => {
  const first = await startTestServer({ redisUrl: redis.url });
  assert.equal(first.app.state.kind, 'redis');
  const cam = new SimDevice({
    deviceId: '34020000001320000555',
    password: '12345678',
    server: { host: '127.0.0.1', port: first.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
    transport: 'udp',
    kind: 'ipc',
    timers: { t1Ms: 100, maxTransmissions: 4 },
  });
  await cam.start();
  assert.equal((await cam.register()).status, 200);
  assert.equal(await first.app.state.countRegistrations(), 1);
  await first.stop({ keepData: true });

  // Same SIP port, so the device's keepalives reach the new process.
  const second = await startTestServer({ redisUrl: redis.url, 'sip.port': first.sipPort }, { dataDir: first.dataDir });
  try {
    const device = await second.app.index.getDevice(cam.deviceId);
    assert.equal(device?.online, true, 'not marked offline by the restart');
    assert.equal(await cam.sendKeepalive(), 200);
    const events = await second.app.index.listDeviceEvents({ deviceId: cam.deviceId, from: 0, to: Date.now() + 1, limit: 10 });
    assert.deepEqual(events.map((e) => `${e.type}:${e.reason}`), ['online:register']);
  } finally {
    await cam.stop();
    await second.stop();
  }
});
