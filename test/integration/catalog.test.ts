/**
 * Catalogs as NVRs and lower platforms send them: organisation trees (215/216) and channels that
 * disappear between two catalogs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimDevice } from '../sim/device';
import type { SimDeviceOptions } from '../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

interface ChannelPage {
  total: number;
  items: Array<{ channelId: string; typeCode: string; parentId: string | null; businessGroupId: string | null; present: boolean; name: string | null }>;
}

describe('catalogs', () => {
  let server: TestServer;
  const sims: SimDevice[] = [];
  const sim = (options: Partial<SimDeviceOptions> & { deviceId: string }) => {
    const d = new SimDevice({
      password: '12345678',
      server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
      transport: 'udp',
      kind: 'nvr',
      timers: { t1Ms: 100, maxTransmissions: 4 },
      ...options,
    });
    sims.push(d);
    return d;
  };
  const channels = async (query: string) => (await (await server.api(`/api/v1/channels?${query}`)).json()) as ChannelPage;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  test('a lower platform with business groups (215) and virtual organisations (216) keeps its tree', async () => {
    const platform = sim({ deviceId: '34020000002000000777', channels: 6, organisation: { groups: 2, orgsPerGroup: 2 }, quirks: { catalogItemsPerMessage: 4 } });
    await platform.start();
    assert.equal((await platform.register()).status, 200);
    const all = await waitFor(async () => {
      const page = await channels(`deviceId=${platform.deviceId}&limit=100`);
      return page.total === 12 ? page : null;
    }, 5000, '12 catalog items');
    const byType = (code: string) => all.items.filter((c) => c.typeCode === code);
    assert.equal(byType('215').length, 2);
    assert.equal(byType('216').length, 4);
    const org = byType('216')[0]!;
    assert.ok(byType('215').some((g) => g.channelId === org.businessGroupId), 'a virtual organisation names its business group');
    assert.ok(byType('215').some((g) => g.channelId === org.parentId));
    const under = await channels(`parentId=${org.channelId}&limit=100`);
    assert.ok(under.total > 0);
    assert.ok(under.items.every((c) => platform.channelIds.includes(c.channelId)), 'the cameras hang under the organisations');
  });

  test('channels missing from a later complete catalog are marked, not dropped, and come back when they return', async () => {
    const id = '34020000001180000778';
    const before8 = sim({ deviceId: id, channels: 8 });
    await before8.start();
    assert.equal((await before8.register()).status, 200);
    await waitFor(async () => (await channels(`deviceId=${id}`)).total === 8, 5000, '8 channels');
    await before8.stop();

    // The same NVR after a disk of cameras was unplugged: it registers afresh with 5 channels.
    const after5 = sim({ deviceId: id, channels: 5 });
    await after5.start();
    assert.equal((await after5.register()).status, 200);
    await waitFor(async () => (await channels(`deviceId=${id}`)).total === 5, 5000, 'only the 5 present channels listed');
    const withMissing = await channels(`deviceId=${id}&includeMissing=true`);
    assert.equal(withMissing.total, 8);
    assert.deepEqual(withMissing.items.filter((c) => !c.present).map((c) => c.channelId).sort(), before8.channelIds.slice(5).sort());
    const device = (await (await server.api(`/api/v1/devices/${id}`)).json()) as { channelCount: number };
    assert.equal(device.channelCount, 5);
    await after5.stop();

    const again8 = sim({ deviceId: id, channels: 8 });
    await again8.start();
    assert.equal((await again8.register()).status, 200);
    const refresh = (await (await server.api(`/api/v1/devices/${id}/catalog`, { method: 'POST' })).json()) as { complete: boolean; missing: number };
    assert.equal(refresh.complete, true);
    assert.equal(refresh.missing, 0);
    await waitFor(async () => (await channels(`deviceId=${id}`)).total === 8, 3000, 'all 8 present again');
  });

  test('a catalog query to a device that went silent times out with 504 and changes nothing', async () => {
    const id = '34020000001180000779';
    const nvr = sim({ deviceId: id, channels: 4 });
    await nvr.start();
    assert.equal((await nvr.register()).status, 200);
    await waitFor(async () => (await channels(`deviceId=${id}`)).total === 4, 5000);
    await nvr.stop();
    // Now the platform asks while the device is gone: the MESSAGE times out and nothing changes.
    const res = await server.api(`/api/v1/devices/${id}/catalog`, { method: 'POST' });
    assert.equal(res.status, 504);
    assert.equal((await channels(`deviceId=${id}`)).total, 4);
  });
});
