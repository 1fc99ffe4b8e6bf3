/**
 * Registration storm and keepalive load against the real server process.
 *
 *   node --import tsx bench/register-storm.ts [--devices=10000] [--rate=5000] [--keepalive-rate=500]
 *        [--keepalive-seconds=20] [--transport=u1|t1] [--probe=100] [--generator=sipp|sim] [--restart]
 *
 * Load comes from SIPp (C; Debian's sip-tester) by default, so the generator is not the
 * bottleneck; --generator=sim drives the same storm with our simulator fleet (test/sim) instead.
 * A probe fleet of simulated devices sends keepalives throughout and measures their latency.
 * Prints registrations/s, keepalives/s handled, probe keepalive p50/p99 during the storm and during
 * the steady keepalive load, the server's CPU per 1,000 transactions/s, and RSS.
 *
 * --restart (SIPp only) then restarts the server on the same data folder and runs the storm again:
 * the storm after a platform restart or upgrade, where every device is already in the index (and
 * marked offline at start, its in-process registration gone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSipp } from '../test/sipp/run-sipp';
import { SimFleet } from '../test/sim/fleet';
import { pct, probeKeepalives } from './lib/latency';
import { freePort } from '../test/helpers/ports';
import { arg, BENCH_PLATFORM, signalingEnv, startServerProcess } from './lib/server-process';

const { id: PLATFORM_ID, domain: DOMAIN, password: PASSWORD, token } = BENCH_PLATFORM;

const devices = Number(arg('devices', '10000'));
const rate = Number(arg('rate', '5000'));
const keepaliveRate = Number(arg('keepalive-rate', '500'));
const keepaliveSeconds = Number(arg('keepalive-seconds', '20'));
const transport = arg('transport', 'u1') as 'u1' | 't1';
const probeCount = Number(arg('probe', '100'));
const generator = arg('generator', 'sipp');
const restart = process.argv.includes('--restart');

interface LoadResult {
  ok: number;
  failed: number;
  exitCode: number;
  errors: string;
  /** Requests the generator sent again for want of an answer in time (SIPp only). */
  retransmissions?: number;
}

/** The simulator as load generator: N devices on shared sockets, registering then keeping alive. */
async function simLoad(port: number): Promise<{ storm: () => Promise<LoadResult>; keepalives: () => Promise<LoadResult>; stop: () => Promise<void> }> {
  const fleet = new SimFleet({
    count: devices,
    server: { host: '127.0.0.1', port, id: PLATFORM_ID, domain: DOMAIN },
    transport: transport === 't1' ? 'tcp' : 'udp',
    password: PASSWORD,
    deviceIdFor: deviceId,
    device: { recordReceived: false },
  });
  await fleet.start();
  const result = (r: { ok: number; failed: number }): LoadResult => ({ ok: r.ok, failed: r.failed, exitCode: r.failed === 0 ? 0 : 1, errors: '' });
  return {
    storm: async () => result(await fleet.registerAll({ concurrency: 2000, ratePerSec: rate })),
    // One keepalive from every device, paced at the keepalive rate (the simulator's natural round).
    keepalives: async () => result(await fleet.keepaliveAll({ concurrency: 500, ratePerSec: keepaliveRate })),
    stop: () => fleet.stop(),
  };
}

function deviceId(i: number): string {
  return `44030000001327${String(i).padStart(6, '0')}`;
}

/** SIPp registers every device once (a challenged and an authenticated REGISTER), at most 2,000 in flight. */
async function sippStorm(sipTarget: string, localPort: number): Promise<LoadResult> {
  const r = await runSipp({
    scenario: 'register-storm.xml',
    server: sipTarget,
    transport,
    serverId: PLATFORM_ID,
    domain: DOMAIN,
    injectCsv: csv(devices),
    calls: devices,
    rate,
    localPort,
    timeoutS: 120,
    extraArgs: ['-l', '2000', '-buff_size', '4194304'],
  });
  return {
    ok: r.stats?.successfulCalls ?? 0,
    failed: r.stats?.failedCalls ?? 0,
    exitCode: r.exitCode,
    errors: r.errors,
    retransmissions: Number(r.stats?.columns['Retransmissions(C)'] ?? 'NaN'),
  };
}

function csv(count: number): string {
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < count; i++) lines.push(`${deviceId(i)};${PASSWORD}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const sipPort = await freePort();
  const httpPort = await freePort();
  // Ours rather than the helper's, so that --restart can start the server again on it.
  const dataDir = mkdtempSync(join(tmpdir(), 'gbvms-bench-storm-'));
  const serverEnv = {
    ...signalingEnv(sipPort, httpPort),
    // SIPp does not answer MANSCDP queries; the catalog path is measured by the simulator tests.
    GBVMS_CATALOG_ON_REGISTER: 'false',
    GBVMS_DATA_DIR: dataDir,
  };
  let server = await startServerProcess(serverEnv);
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
    // /proc counts CPU in 10 ms ticks: over 5 s the idle figure is good to 0.2% of a core.
    const idleSeconds = 5;
    const idleCpu0 = server.cpuSeconds();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpuPerSec = (server.cpuSeconds() - idleCpu0) / idleSeconds;

    // SIPp's devices send their keepalives from the port they registered from, as real devices
    // do; from another port every first keepalive would be a device that moved (an index write).
    const sippPort = await freePort();

    /** Runs one load with probe keepalives throughout: its time, the server's CPU above idle, the probes. */
    const measured = async <T>(probesPerSecond: number, load: () => Promise<T>) => {
      const probe = probeKeepalives(fleet, probesPerSecond);
      const cpu = server.cpuSeconds();
      const started = performance.now();
      const result = await load();
      const seconds = (performance.now() - started) / 1000;
      const corePct = ((server.cpuSeconds() - cpu) / seconds - idleCpuPerSec) * 100;
      return { result, seconds, corePct, probes: await probe.stop() };
    };

    // Phase 1: the registration storm. The simulator fleet is set up before the clock starts.
    const sim = generator === 'sim' ? await simLoad(sipPort) : null;
    const phase1 = await measured(200, () => (sim ? sim.storm() : sippStorm(sipTarget, sippPort)));
    const { result: storm, seconds: stormSeconds, corePct: stormCorePct, probes: p1 } = phase1;
    const online = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices?online=true&limit=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { total: number };
    const rssAfterStorm = server.rssMb();

    // Phase 2: steady keepalives from every SIPp device, with probe keepalives throughout.
    const keepaliveCalls = keepaliveRate * keepaliveSeconds;
    const phase2 = await measured(50, (): Promise<LoadResult> =>
      sim
        ? sim.keepalives()
        : runSipp({
            scenario: 'keepalive.xml',
            server: sipTarget,
            transport,
            serverId: PLATFORM_ID,
            domain: DOMAIN,
            injectCsv: csv(Math.min(devices, keepaliveCalls)),
            calls: keepaliveCalls,
            rate: keepaliveRate,
            localPort: sippPort,
            timeoutS: keepaliveSeconds + 60,
            extraArgs: ['-buff_size', '4194304'],
          }).then((r) => ({ ok: r.stats?.successfulCalls ?? 0, failed: r.stats?.failedCalls ?? 0, exitCode: r.exitCode, errors: r.errors })),
    );
    const { result: ka, seconds: kaSeconds, corePct: kaCorePct, probes: p2 } = phase2;
    const rssEnd = server.rssMb();

    const regTransactions = (storm.ok) * 2;
    const regPerSec = (storm.ok) / stormSeconds;
    const kaPerSec = (ka.ok) / kaSeconds;
    // The server also answers the probe fleet's keepalives in this window.
    const allKaPerSec = kaPerSec + p2.latencies.length / kaSeconds;
    const lines = [
      `devices: ${devices} over ${transport === 'u1' ? 'UDP' : 'TCP'}, load from ${generator === 'sim' ? 'the simulator fleet' : 'SIPp'} (rate limit ${rate}/s), probe fleet ${probeCount}`,
      `registration storm: ${storm.ok} ok, ${storm.failed} failed, in ${stormSeconds.toFixed(2)} s = ${regPerSec.toFixed(0)} registrations/s (${(regTransactions / stormSeconds).toFixed(0)} transactions/s); generator exit ${storm.exitCode}${storm.retransmissions !== undefined ? `, ${storm.retransmissions} retransmissions` : ''}`,
      `devices online after the storm (API): ${online.total}`,
      `server CPU during the storm: ${stormCorePct.toFixed(1)}% of one core = ${(stormCorePct / (regTransactions / stormSeconds / 1000)).toFixed(2)}% per 1,000 transactions/s`,
      `probe keepalive latency during the storm: p50 ${pct(p1.latencies, 50).toFixed(1)} ms, p99 ${pct(p1.latencies, 99).toFixed(1)} ms (${p1.latencies.length} ok, ${p1.failed} failed)`,
      `keepalives: ${ka.ok} ok, ${ka.failed} failed, ${kaPerSec.toFixed(0)}/s for ${kaSeconds.toFixed(1)} s; generator exit ${ka.exitCode}`,
      `server CPU during keepalives: ${kaCorePct.toFixed(2)}% of one core for ${allKaPerSec.toFixed(0)} keepalives/s (with the probes') = ${(kaCorePct / (allKaPerSec / 1000)).toFixed(2)}% per 1,000 keepalives/s`,
      `probe keepalive latency during keepalive load: p50 ${pct(p2.latencies, 50).toFixed(1)} ms, p99 ${pct(p2.latencies, 99).toFixed(1)} ms`,
      `server RSS: ${rssAfterStorm.toFixed(0)} MB after the storm, ${rssEnd.toFixed(0)} MB at the end; idle CPU ${(idleCpuPerSec * 100).toFixed(2)}%`,
    ];
    console.log(lines.join('\n'));
    if (storm.exitCode !== 0) console.log(`storm errors (first lines):\n${storm.errors.split('\n').slice(0, 10).join('\n')}`);
    await sim?.stop();

    if (restart && !sim) {
      // Phase 3: the same devices after a restart of the server on the same data folder.
      await server.stop();
      const startedAt = performance.now();
      server = await startServerProcess(serverEnv);
      const startSeconds = (performance.now() - startedAt) / 1000;
      const again = await fleet.registerAll({ concurrency: 50 });
      if (again.ok !== probeCount) throw new Error(`probe fleet re-registration failed: ${JSON.stringify(again.byStatus)}`);
      await new Promise((r) => setTimeout(r, 1000));
      const { result: storm3, seconds: seconds3, corePct: corePct3, probes: p3 } = await measured(200, async () => sippStorm(sipTarget, await freePort()));
      console.log(
        [
          `restart on the same data folder: API up in ${startSeconds.toFixed(1)} s (${devices + probeCount} devices in the index, marked offline at start)`,
          `registration storm after the restart: ${storm3.ok} ok, ${storm3.failed} failed, in ${seconds3.toFixed(2)} s = ${(storm3.ok / seconds3).toFixed(0)} registrations/s; generator exit ${storm3.exitCode}, ${storm3.retransmissions} retransmissions`,
          `server CPU during it: ${corePct3.toFixed(1)}% of one core = ${(corePct3 / ((storm3.ok * 2) / seconds3 / 1000)).toFixed(2)}% per 1,000 transactions/s`,
          `probe keepalive latency during it: p50 ${pct(p3.latencies, 50).toFixed(1)} ms, p99 ${pct(p3.latencies, 99).toFixed(1)} ms (${p3.latencies.length} ok, ${p3.failed} failed)`,
          `server RSS after it: ${server.rssMb().toFixed(0)} MB`,
        ].join('\n'),
      );
    }
  } finally {
    await fleet.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
