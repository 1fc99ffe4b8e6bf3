/**
 * SQLite index store under a registration storm: how many upsertDevice calls per second the
 * embedded default takes (the target is ~6,000/s), plus catalog syncs and list queries at 30,000
 * devices/channels. Runs on a file database in a temporary folder (WAL, synchronous=NORMAL), the
 * same setup as production.
 *
 * Usage: node --import tsx bench/sqlite-upsert.ts [devices=30000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger';
import { SqliteIndexStore } from '../src/storage/sqlite/index-store';
import type { ChannelUpdate } from '../src/storage/types';

const deviceCount = Number(process.argv[2] ?? 30000);

function deviceId(i: number, type = '132'): string {
  return `3402000000${type}${String(i).padStart(7, '0')}`;
}

function channel(nvr: number, i: number): ChannelUpdate {
  return {
    channelId: `340200000013${String(nvr).padStart(4, '0')}${String(i).padStart(4, '0')}`,
    name: `通道 ${i}`,
    manufacturer: 'Hikvision',
    model: 'DS-2CD',
    owner: 'Owner',
    civilCode: '340200',
    block: null,
    address: '一号楼',
    parental: false,
    parentId: deviceId(nvr, '118'),
    businessGroupId: null,
    registerWay: 1,
    secrecy: 0,
    ipAddress: '192.0.2.10',
    port: 8000,
    status: 'ON',
    longitude: 118.1,
    latitude: 24.5,
    ptzType: 1,
    typeCode: '131',
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Calls arriving together, as REGISTERs read from one socket in the same tick: `wave` per tick. */
async function storm(label: string, count: number, wave: number, run: (i: number) => Promise<unknown>): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i += wave) {
    const calls: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(count, i + wave); j++) calls.push(run(j));
    await Promise.all(calls);
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(44)} ${String(count).padStart(6)} ops  ${Math.round(count / seconds).toString().padStart(7)} ops/s  (${wave} in flight)`);
}

async function timed(label: string, count: number, run: (i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await run(i);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} ${String(count).padStart(6)} ops  ${Math.round(count / seconds)
      .toString()
      .padStart(7)} ops/s  p50 ${percentile(latencies, 50).toFixed(3)} ms  p99 ${percentile(latencies, 99).toFixed(3)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'gbvms-bench-sqlite-'));
const store = new SqliteIndexStore({ path: join(dir, 'index.db'), logger: silentLogger() });
await store.init();
try {
  const now = Date.now();
  const register = (i: number) =>
    store.upsertDevice(deviceId(i % deviceCount), {
      online: true,
      transport: 'udp',
      remoteAddress: '10.0.0.1',
      remotePort: 5060 + (i % 1000),
      contact: `sip:${deviceId(i)}@10.0.0.1:5060`,
      expires: 3600,
      registeredAt: now,
      lastKeepaliveAt: now,
    });
  await timed('upsertDevice one at a time, new devices', deviceCount, register);
  await timed('upsertDevice one at a time, known devices', deviceCount, register);
  await storm('upsertDevice storm, known devices', deviceCount, 10, register);
  await storm('upsertDevice storm, known devices', deviceCount, 100, register);
  await timed('upsertDevice one at a time, keepalive field', deviceCount, (i) =>
    store.upsertDevice(deviceId(i), { lastKeepaliveAt: now + 1 }),
  );

  const nvrs = Math.ceil(deviceCount / 256);
  const catalogs = Array.from({ length: nvrs }, (_, n) => Array.from({ length: 256 }, (_, i) => channel(n, i)));
  await timed(`syncChannels, 256-channel NVR (x${nvrs}, new)`, nvrs, (n) =>
    store.syncChannels(deviceId(n, '118'), catalogs[n]!, { complete: true }),
  );
  await timed(`syncChannels, 256-channel NVR (x${nvrs}, again)`, nvrs, (n) =>
    store.syncChannels(deviceId(n, '118'), catalogs[n]!, { complete: true }),
  );
  await timed('listDevices online, page of 50', 200, (i) => store.listDevices({ online: true, offset: i * 50, limit: 50 }));
  await timed('listDevices keyword, page of 50', 50, () =>
    store.listDevices({ keyword: '0000001', offset: 0, limit: 50 }),
  );
  await timed('listChannels by device, page of 100', 200, (i) =>
    store.listChannels({ deviceId: deviceId(i % nvrs, '118'), offset: 0, limit: 100 }),
  );
  await timed('getChannel without deviceId', 10000, (i) => store.getChannel(channel(i % nvrs, i % 256).channelId));
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
