/**
 * N concurrent camera streams through the real server process, each with one HTTP-FLV viewer
 * (`--viewer=ws-flv`: a WS-FLV viewer instead).
 *
 *   node --import tsx bench/live-streams.ts [--streams=50] [--transport=udp|tcp-passive|tcp-active]
 *        [--seconds=30] [--bitrate=2000] [--probe=20] [--pacing=burst|spread] [--record=true [--view=true]]
 *        [--viewer=http-flv|ws-flv]
 *
 * Cameras are the simulator fleet (test/sim) in this process: 1280x720 H.264 at 25 fps, 2 s GOP,
 * ~2 Mbit/s, PS over RTP. Each stream is started through the API and watched by one HTTP-FLV
 * viewer that reads every byte. Prints the server's CPU per stream (process CPU over the window,
 * minus its idle CPU, divided by N), RSS per stream, RTP loss seen by the server, frames at the
 * viewers, the time from API request to first video byte at the viewer, and the latency of
 * keepalives sent by probe devices while the streams run (the signaling thread's responsiveness).
 */
import { readFileSync } from 'node:fs';
import { SimFleet } from '../test/sim/fleet';
import { simMediaPacerStats } from '../test/sim/media-pacer';
import { freePort } from '../test/helpers/ports';
import { viewHttpFlv, viewWsFlv, type FlvViewer } from './lib/flv-viewer';
import { pct, probeKeepalives } from './lib/latency';
import { arg, BENCH_PLATFORM, mediaEnv, startServerProcess } from './lib/server-process';

const { id: PLATFORM_ID, domain: DOMAIN, password: PASSWORD, token: TOKEN } = BENCH_PLATFORM;

const streams = Number(arg('streams', '50'));
const transport = arg('transport', 'udp') as 'udp' | 'tcp-passive' | 'tcp-active';
const seconds = Number(arg('seconds', '30'));
const bitrate = Number(arg('bitrate', '2000'));
const probeCount = Number(arg('probe', '20'));
/** burst: a frame's packets leave together, as cameras and media servers send them; spread: evenly over the frame time. */
const pacing = arg('pacing', 'burst') as 'burst' | 'spread';
/** Record every stream (a continuous plan) instead of watching it: the footage write load. */
const record = arg('record', 'false') === 'true';
/** With --record: also one HTTP-FLV viewer per stream (recording alongside the live load). */
const alsoView = arg('view', 'false') === 'true';
/** How each viewer watches: HTTP-FLV (default) or WS-FLV. */
const viewerKind = arg('viewer', 'http-flv') === 'ws-flv' ? 'ws-flv' : 'http-flv';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes the process handed to write syscalls (/proc/<pid>/io wchar): files and sockets alike. */
function bytesWritten(pid: number): number {
  const m = /wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function api<T>(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function main(): Promise<void> {
  const sipPort = await freePort();
  const httpPort = await freePort();
  const server = await startServerProcess({
    ...(await mediaEnv(sipPort, httpPort, [40000, 41999])),
    GBVMS_LIVE_INVITE_TIMEOUT_MS: '20000',
    GBVMS_LIVE_READY_TIMEOUT_MS: '20000',
    GBVMS_LIVE_TRANSPORT: transport,
  });
  const target = { host: '127.0.0.1', port: sipPort, id: PLATFORM_ID, domain: DOMAIN };
  const cameras = new SimFleet({
    count: streams,
    server: target,
    transport: 'udp',
    password: PASSWORD,
    deviceIdFor: (i) => `44030000001320${String(i).padStart(3, '0')}000`,
    device: { recordReceived: false, media: { bitrateKbps: bitrate, pacing } },
  });
  const probes = new SimFleet({
    count: probeCount,
    server: target,
    transport: 'udp',
    password: PASSWORD,
    deviceIdFor: (i) => `44030000001329${String(i).padStart(3, '0')}000`,
    device: { recordReceived: false },
  });
  const viewers: FlvViewer[] = [];
  try {
    await Promise.all([cameras.start(), probes.start()]);
    await cameras.prepareMedia();
    const reg = await cameras.registerAll({ concurrency: 50 });
    const probeReg = await probes.registerAll({ concurrency: 20 });
    if (reg.ok !== streams || probeReg.ok !== probeCount) throw new Error(`registration failed: ${JSON.stringify(reg.byStatus)} ${JSON.stringify(probeReg.byStatus)}`);
    const channels = cameras.devices.map((d) => d.channelIds[0] ?? d.deviceId);
    for (const channelId of channels) {
      for (let i = 0; ; i++) {
        if ((await api(httpPort, `/channels/${channelId}`)).status === 200) break;
        if (i > 200) throw new Error(`channel ${channelId} never stored`);
        await sleep(50);
      }
    }
    await sleep(2000);
    const idle0 = server.cpuSeconds();
    await sleep(5000);
    const idleCpuPerSec = (server.cpuSeconds() - idle0) / 5;
    const rssIdle = server.rssMb();

    // Start every stream through the API (a few at a time, as an operator's wall of cameras would).
    const firstFrameMs: number[] = [];
    const failures: string[] = [];
    let next = 0;
    const starter = async (): Promise<void> => {
      for (;;) {
        const channelId = channels[next++];
        if (channelId === undefined) return;
        const t0 = performance.now();
        if (record) {
          const planned = await api<{ recording?: boolean; error?: { message: string } }>(httpPort, `/channels/${channelId}/recording-plan`, {
            method: 'PUT',
            body: JSON.stringify({ mode: 'continuous' }),
          });
          if (planned.status !== 200 || planned.body.recording !== true) failures.push(`${channelId}: ${planned.status} ${planned.body.error?.message ?? 'not recording'}`);
          if (!alsoView) continue;
        }
        const res = await api<{ urls?: { httpFlv: string; wsFlv: string }; error?: { message: string } }>(httpPort, `/channels/${channelId}/live`, {
          method: 'POST',
          body: JSON.stringify({ transport }),
        });
        if (res.status !== 200 || res.body.urls === undefined) {
          failures.push(`${channelId}: ${res.status} ${res.body.error?.message ?? ''}`);
          continue;
        }
        const viewer = viewerKind === 'ws-flv' ? viewWsFlv(res.body.urls.wsFlv) : viewHttpFlv(res.body.urls.httpFlv);
        viewers.push(viewer);
        for (let i = 0; i < 200 && viewer.firstVideoAt === 0; i++) await sleep(5);
        if (viewer.firstVideoAt > 0) firstFrameMs.push(viewer.firstVideoAt - t0);
      }
    };
    await Promise.all(Array.from({ length: 5 }, () => starter()));
    await sleep(3000);

    const before = await api<{ items: Array<{ media: { packets: number; lost: number } | null }> }>(httpPort, '/streams');
    const written0 = (await api<{ segments: number; bytes: number }>(httpPort, '/recordings/totals')).body;
    const wchar0 = bytesWritten(server.pid);
    const tags0 = viewers.reduce((n, v) => n + v.videoTags, 0);
    const probe = probeKeepalives(probes, 50);
    const cpu0 = server.cpuSeconds();
    const split0 = server.cpuSplit();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const window = (performance.now() - t0) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    const split1 = server.cpuSplit();
    const rss = server.rssMb();
    const ka = await probe.stop();
    const written1 = (await api<{ segments: number; bytes: number }>(httpPort, '/recordings/totals')).body;
    const wchar = bytesWritten(server.pid) - wchar0;
    const tags = viewers.reduce((n, v) => n + v.videoTags, 0) - tags0;
    const after = await api<{ items: Array<{ media: { packets: number; lost: number } | null }> }>(httpPort, '/streams');
    const sum = (list: typeof after.body.items, f: 'packets' | 'lost') => list.reduce((n, s) => n + (s.media?.[f] ?? 0), 0);
    const packets = sum(after.body.items, 'packets') - sum(before.body.items, 'packets');
    const lost = sum(after.body.items, 'lost') - sum(before.body.items, 'lost');
    const running = after.body.items.length;
    const corePct = (cpu / window - idleCpuPerSec) * 100;
    const pacer = simMediaPacerStats();
    const lines = [
      `streams: ${streams} requested, ${running} running, over ${transport} (${pacing} pacing); ${bitrate} kbit/s H.264 1280x720 25 fps GOP 50; ${record ? (alsoView ? `recorded and one ${viewerKind} viewer each` : 'recorded, no viewers') : `one ${viewerKind} viewer each`}; window ${window.toFixed(1)} s`,
      `server CPU: ${(cpu / window * 100).toFixed(1)}% of one core in the window, idle ${(idleCpuPerSec * 100).toFixed(1)}%, => ${(corePct / Math.max(1, running)).toFixed(3)}% of one core per stream`,
      `  of which user ${(((split1.user - split0.user) / window) * 100).toFixed(1)}%, kernel ${(((split1.sys - split0.sys) / window) * 100).toFixed(1)}%`,
      `server RSS: ${rss.toFixed(0)} MB with the streams, ${rssIdle.toFixed(0)} MB before => ${((rss - rssIdle) / Math.max(1, running)).toFixed(2)} MB per stream`,
      `RTP at the server in the window: ${packets} packets, ${lost} lost (${packets > 0 ? ((lost / (packets + lost)) * 100).toFixed(3) : '0'}%)`,
      ...(record
        ? [
            `recorded: ${((wchar * 8) / 1e6 / window).toFixed(0)} Mbit/s written by the server (write syscalls, all files) = ${((wchar * 8) / 1e3 / window / Math.max(1, running)).toFixed(0)} kbit/s per stream; ${written1.segments - written0.segments} segments closed and indexed in the window`,
          ]
        : []),
      ...(record && !alsoView
        ? []
        : [
        `viewers: ${tags} video frames in the window = ${(tags / window / Math.max(1, viewers.length)).toFixed(1)} fps per viewer (source 25)`,
        `request to first video byte: p50 ${pct(firstFrameMs, 50).toFixed(0)} ms, p99 ${pct(firstFrameMs, 99).toFixed(0)} ms, max ${Math.max(...firstFrameMs).toFixed(0)} ms (${firstFrameMs.length} streams)`,
          ]),
      `keepalive latency while streaming: p50 ${pct(ka.latencies, 50).toFixed(1)} ms, p99 ${pct(ka.latencies, 99).toFixed(1)} ms (${ka.latencies.length} ok, ${ka.failed} failed)`,
      `camera simulator pacing: max lag ${pacer.maxLagMs.toFixed(0)} ms, ${pacer.lateTicks} late ticks of ${pacer.ticks}`,
      ...(failures.length > 0 ? [`start failures (${failures.length}): ${failures.slice(0, 5).join('; ')}`] : []),
    ];
    console.log(lines.join('\n'));
  } finally {
    for (const v of viewers) v.close();
    await cameras.stop();
    await probes.stop();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
