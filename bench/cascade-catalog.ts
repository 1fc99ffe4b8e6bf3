/**
 * Cascade catalog: an upper platform asks for the catalog of 30,000 shared channels.
 *
 *   node --import tsx bench/cascade-catalog.ts [--channels=30000] [--devices=30] [--per-message=10,50] [--transport=udp|tcp]
 *
 * The real server (SQLite index) gets `devices` NVRs with channels/devices channels each written
 * straight into the index, every NVR shared with the upper simulator (test/cascade/upper-sim.ts).
 * For each items-per-message setting the upper sends Query Catalog and waits until every item
 * arrived; printed: time to the last item, MESSAGEs, bytes, and items/s. Each part is sent
 * after the previous one got its 200 (Annex M), so the time is dominated by round trips.
 */
import { startTestServer, waitFor, PLATFORM_ID } from '../test/helpers/server';
import { UpperSim, xmlItems } from '../test/cascade/upper-sim';
import type { ChannelUpdate } from '../src/storage/types';

function arg(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const CHANNELS = Number(arg('channels', '30000'));
const DEVICES = Number(arg('devices', '30'));
const PER_MESSAGE = arg('per-message', '10,50').split(',').map(Number);
const TRANSPORT = arg('transport', 'udp') as 'udp' | 'tcp';
const UPPER_ID = '35010000002000000001';

function channel(deviceIndex: number, n: number, deviceId: string): ChannelUpdate {
  const channelId = `3402000000131${String(deviceIndex).padStart(3, '0')}${String(n).padStart(4, '0')}`;
  return {
    channelId, name: `通道${deviceIndex}-${n} 一号楼东门`, manufacturer: 'Hikvision', model: 'DS-2CD2T47', owner: 'Owner', civilCode: '340200', block: null,
    address: '福州市鼓楼区', parental: false, parentId: deviceId, businessGroupId: null, registerWay: 1, secrecy: 0, ipAddress: null, port: null,
    status: 'ON', longitude: 119.3, latitude: 26.08, ptzType: 1, typeCode: '131',
  };
}

async function main(): Promise<void> {
  const server = await startTestServer({ 'catalog.queryOnRegister': false, 'sip.transactionTimeoutMs': 10000, 'cascade.requestTimeoutMs': 10000 });
  const upper = new UpperSim({ id: UPPER_ID, users: new Map([[PLATFORM_ID, 'bench']]) });
  await upper.start();
  try {
    const index = server.app.index;
    const perDevice = Math.ceil(CHANNELS / DEVICES);
    const deviceIds: string[] = [];
    let made = 0;
    for (let d = 0; d < DEVICES && made < CHANNELS; d++) {
      const deviceId = `34020000001180${String(d).padStart(6, '0')}`;
      deviceIds.push(deviceId);
      await index.upsertDevice(deviceId, { online: true, typeCode: '118' });
      const count = Math.min(perDevice, CHANNELS - made);
      await index.syncChannels(deviceId, Array.from({ length: count }, (_, n) => channel(d, n, deviceId)), { complete: true });
      made += count;
    }
    const res = await server.api('/api/v1/uppers', {
      method: 'POST',
      body: JSON.stringify({ upperId: UPPER_ID, host: '127.0.0.1', port: upper.udpPort, transport: TRANSPORT, password: 'bench', keepaliveIntervalSec: 600 }),
    });
    if (res.status !== 201) throw new Error(await res.text());
    await server.api(`/api/v1/uppers/${UPPER_ID}/shares`, { method: 'POST', body: JSON.stringify({ add: deviceIds.map((id) => ({ id })) }) });
    await waitFor(() => upper.lower !== undefined, 5000, 'registered');
    console.log(`cascade catalog: ${made} shared channels on ${deviceIds.length} NVRs, ${TRANSPORT.toUpperCase()}, GB2312`);
    console.log('| items per MESSAGE | MESSAGEs | first part after | last item after | items/s | bytes |');
    console.log('|---|---|---|---|---|---|');
    let sn = 1;
    for (const perMessage of PER_MESSAGE) {
      await server.api(`/api/v1/uppers/${UPPER_ID}`, { method: 'PATCH', body: JSON.stringify({ catalogItemsPerMessage: perMessage }) });
      const q = ++sn;
      const started = performance.now();
      const startedAt = Date.now();
      const answer = await upper.manscdp('Query', 'Catalog', q, PLATFORM_ID, '', PLATFORM_ID, 30_000);
      if (answer.status !== 200) throw new Error(`catalog query answered ${answer.status}`);
      let items = 0;
      let seen = 0;
      const parts = await upper.collect(
        'Catalog',
        q,
        (p) => {
          for (; seen < p.length; seen++) items += xmlItems(p[seen]!.text).length;
          return items >= made;
        },
        300_000,
      );
      const ms = performance.now() - started;
      const bytes = parts.reduce((n, p) => n + p.message.raw.length, 0);
      const first = Math.min(...parts.map((p) => p.at)) - startedAt;
      console.log(`| ${perMessage} | ${parts.length} | ${first} ms | ${(ms / 1000).toFixed(2)} s | ${Math.round(items / (ms / 1000))} | ${(bytes / 1e6).toFixed(1)} MB |`);
    }
  } finally {
    await upper.stop();
    await server.stop();
  }
}

await main();
