/**
 * Registration storm and keepalive load against the real server process.
 *
 *   node --import tsx bench/register-storm.ts [--devices=10000] [--rate=5000] [--keepalive-rate=500]
 *        [--keepalive-seconds=20] [--transport=u1|t1] [--probe=100]
 *
 * Load comes from SIPp (C; Debian's sip-tester), so the generator is not the bottleneck; a probe
 * fleet of simulated devices (test/sim) sends keepalives throughout and measures their latency.
 * Prints registrations/s, keepalives/s handled, probe keepalive p50/p99 during the storm and during
 * the steady keepalive load, the server's CPU per 1,000 transactions/s, and RSS.
 */
import { runSipp } from '../test/sipp/run-sipp';
import { SimFleet } from '../test/sim/fleet';
import { freePort } from '../test/helpers/ports';
import { arg, startServerProcess } from './lib/server-process';

const PLATFORM_ID = '44030000002000000001';
const DOMAIN = '4403000000';
const PASSWORD = 'bench-pass';

const devices = Number(arg('devices', '10000'));
const rate = Number(arg('rate', '5000'));
const keepaliveRate = Number(arg('keepalive-rate', '500'));
const keepaliveSeconds = Number(arg('keepalive-seconds', '20'));
const transport = arg('transport', 'u1') as 'u1' | 't1';
const probeCount = Number(arg('probe', '100'));

function deviceId(i: number): string {
  return `44030000001327${String(i).padStart(6, '0')}`;
}

function csv(count: number): string {
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < count; i++) lines.push(`${deviceId(i)};${PASSWORD}`);
  return `${lines.join('\n')}\n`;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Keepalives from the probe fleet at a steady pace until stopped; returns their latencies. */
function probeKeepalives(fleet: SimFleet, perSecond: number): { stop: () => Promise<{ latencies: number[]; failed: number }> } {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const devicesList = fleet.devices;
  const loop = (async () => {
    let i = 0;
    while (running) {
      const device = devicesList[i % devicesList.length]!;
      i += 1;
      void device.keepaliveTransaction().then((r) => {
        if (r.status === 200) latencies.push(r.latencyMs);
        else failed += 1;
      });
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await new Promise((r) => setTimeout(r, 1000));
      return { latencies, failed };
    },
  };
}

async function main(): Promise<void> {
  const sipPort = await freePort();
  const httpPort = await freePort();
  const token = 'bench-token-0123456789';
  const server = await startServerProcess({
    GBVMS_SIP_ID: PLATFORM_ID,
    GBVMS_SIP_DOMAIN: DOMAIN,
    GBVMS_SIP_HOST: '127.0.0.1',
    GBVMS_SIP_PORT: String(sipPort),
    GBVMS_SIP_PASSWORD: PASSWORD,
    GBVMS_HTTP_PORT: String(httpPort),
    GBVMS_API_TOKEN: token,
    // SIPp does not answer MANSCDP queries; the catalog path is measured by the simulator tests.
    GBVMS_CATALOG_ON_REGISTER: 'false',
  });
  const sipTarget = `127.0.0.1:${sipPort}`;
  const fleet = new SimFleet({
    count: probeCount,
    server: { host: '127.0.0.1', port: sipPort, id: PLATFORM_ID, domain: DOMAIN },
    transport: 'udp',
    password: PASSWORD,
    deviceIdFor: (i) => `44030000001328${String(i).padStart(6, '0')}`,
    device: { recordReceived: false },
  });
  try {
    await fleet.start();
    const probeReg = await fleet.registerAll({ concurrency: 50 });
    if (probeReg.ok !== probeCount) throw new Error(`probe fleet registration failed: ${JSON.stringify(probeReg.byStatus)}`);
    const idleCpu0 = server.cpuSeconds();
    await new Promise((r) => setTimeout(r, 2000));
    const idleCpuPerSec = (server.cpuSeconds() - idleCpu0) / 2;

    // Phase 1: the registration storm, with probe keepalives throughout.
    const probe1 = probeKeepalives(fleet, 200);
    const cpu0 = server.cpuSeconds();
    const t0 = performance.now();
    const storm = await runSipp({
      scenario: 'register-auth.xml',
      server: sipTarget,
      transport,
      serverId: PLATFORM_ID,
      domain: DOMAIN,
      injectCsv: csv(devices),
      calls: devices,
      rate,
      timeoutS: 120,
      extraArgs: ['-l', '2000', '-buff_size', '4194304'],
    });
    const stormSeconds = (performance.now() - t0) / 1000;
    const stormCpu = server.cpuSeconds() - cpu0;
    const p1 = await probe1.stop();
    const online = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices?online=true&limit=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { total: number };
    const rssAfterStorm = server.rssMb();

    // Phase 2: steady keepalives from every SIPp device, with probe keepalives throughout.
    const keepaliveCalls = keepaliveRate * keepaliveSeconds;
    const probe2 = probeKeepalives(fleet, 50);
    const cpu1 = server.cpuSeconds();
    const t1 = performance.now();
    const ka = await runSipp({
      scenario: 'keepalive.xml',
      server: sipTarget,
      transport,
      serverId: PLATFORM_ID,
      domain: DOMAIN,
      injectCsv: csv(Math.min(devices, keepaliveCalls)),
      calls: keepaliveCalls,
      rate: keepaliveRate,
      timeoutS: keepaliveSeconds + 60,
      extraArgs: ['-buff_size', '4194304'],
    });
    const kaSeconds = (performance.now() - t1) / 1000;
    const kaCpu = server.cpuSeconds() - cpu1;
    const p2 = await probe2.stop();
    const rssEnd = server.rssMb();

    const regTransactions = (storm.stats?.successfulCalls ?? 0) * 2;
    const regPerSec = (storm.stats?.successfulCalls ?? 0) / stormSeconds;
    const stormCorePct = ((stormCpu / stormSeconds) - idleCpuPerSec) * 100;
    const kaPerSec = (ka.stats?.successfulCalls ?? 0) / kaSeconds;
    const kaCorePct = ((kaCpu / kaSeconds) - idleCpuPerSec) * 100;
    const lines = [
      `devices: ${devices} over ${transport === 'u1' ? 'UDP' : 'TCP'} (SIPp rate limit ${rate}/s), probe fleet ${probeCount}`,
      `registration storm: ${storm.stats?.successfulCalls ?? 0} ok, ${storm.stats?.failedCalls ?? 0} failed, in ${stormSeconds.toFixed(2)} s = ${regPerSec.toFixed(0)} registrations/s (${(regTransactions / stormSeconds).toFixed(0)} transactions/s); SIPp exit ${storm.exitCode}`,
      `devices online after the storm (API): ${online.total}`,
      `server CPU during the storm: ${stormCorePct.toFixed(1)}% of one core = ${(stormCorePct / (regTransactions / stormSeconds / 1000)).toFixed(2)}% per 1,000 transactions/s`,
      `probe keepalive latency during the storm: p50 ${pct(p1.latencies, 50).toFixed(1)} ms, p99 ${pct(p1.latencies, 99).toFixed(1)} ms (${p1.latencies.length} ok, ${p1.failed} failed)`,
      `keepalives: ${ka.stats?.successfulCalls ?? 0} ok, ${ka.stats?.failedCalls ?? 0} failed, ${kaPerSec.toFixed(0)}/s for ${kaSeconds.toFixed(1)} s; SIPp exit ${ka.exitCode}`,
      `server CPU during keepalives: ${kaCorePct.toFixed(2)}% of one core = ${(kaCorePct / (kaPerSec / 1000)).toFixed(2)}% per 1,000 keepalives/s`,
      `probe keepalive latency during keepalive load: p50 ${pct(p2.latencies, 50).toFixed(1)} ms, p99 ${pct(p2.latencies, 99).toFixed(1)} ms`,
      `server RSS: ${rssAfterStorm.toFixed(0)} MB after the storm, ${rssEnd.toFixed(0)} MB at the end; idle CPU ${(idleCpuPerSec * 100).toFixed(2)}%`,
    ];
    console.log(lines.join('\n'));
    if (storm.exitCode !== 0) console.log(`SIPp storm errors (first lines):\n${storm.errors.split('\n').slice(0, 10).join('\n')}`);
  } finally {
    await fleet.stop();
    await server.stop();
  }
}

await main();
