/**
 * What node-media-server (NMS) costs to distribute the streams that bench/live-streams.ts measures
 * for our own FLV muxer: N streams of ~2 Mbit/s H.264 1280x720 25 fps, 2 s GOP, each published to
 * NMS over RTMP and watched by one viewer. See docs/decisions/0009-flv-and-rtmp-distribution.md.
 *
 * node-media-server is deliberately NOT a dependency of gbvms (this bench only compares designs),
 * so install it somewhere outside the repo first and point the bench at that folder:
 *
 *   npm install --no-save node-media-server@2 --prefix /tmp/nms-eval      (or @4; both are handled)
 *   node --import tsx bench/nms-compare.ts --nms-dir=/tmp/nms-eval [--streams=50] [--seconds=30]
 *        [--viewer=http|rtmp|none] [--bitrate=2000]
 *
 * NMS runs in a child process (this file again, with --role=server) on free loopback ports:
 * RTMP for the publishers and HTTP for HTTP-FLV. Publishers are ffmpeg processes
 * (`ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv rtmp://…/live/sN`) looping a clip that
 * ffmpeg encodes from a test pattern with the simulator's settings; their CPU is not counted.
 * Viewers: `http` is one HTTP-FLV reader per stream in this process that reads every byte and
 * counts video tags; `rtmp` is one `ffmpeg -i rtmp://… -c copy -f null -` per stream (heavy: use
 * about 10 streams); `none` measures ingest alone. Prints NMS's CPU per stream (its process CPU
 * over the window, minus its idle CPU, divided by N) and RSS, the figures live-streams.ts prints
 * for the gbvms server process.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { viewHttpFlv, type FlvViewer } from './lib/flv-viewer';
import { freePort } from '../test/helpers/ports';
import { arg } from './lib/server-process';

const CLOCK_TICKS = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isRecord(v: unknown): v is Record<string, unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null;
}

type NmsConstructor = new (config: object) => unknown;
function isConstructor(v: unknown): v is NmsConstructor {
  return typeof v === 'function';
}

interface Runnable {
  run(): unknown;
}
function isRunnable(v: unknown): v is Runnable {
  return isRecord(v) && typeof v.run === 'function';
}

function nmsPackageDir(nmsDir: string): string {
  return join(resolve(nmsDir), 'node_modules', 'node-media-server');
}

function nmsVersion(nmsDir: string): { version: string; license: string; main: string } {
  const pkg: unknown = JSON.parse(readFileSync(join(nmsPackageDir(nmsDir), 'package.json'), 'utf8'));
  if (!isRecord(pkg) || typeof pkg.version !== 'string') throw new Error(`no node-media-server under ${nmsDir}/node_modules`);
  return {
    version: pkg.version,
    license: typeof pkg.license === 'string' ? pkg.license : '?',
    main: typeof pkg.main === 'string' ? pkg.main : 'index.js',
  };
}

/** Child role: runs NMS with logging off, RTMP and HTTP-FLV only, until the parent goes away. */
async function serve(nmsDir: string, rtmpPort: number, httpPort: number, dataDir: string): Promise<void> {
  const { version, main } = nmsVersion(nmsDir);
  const mod: unknown = await import(pathToFileURL(join(nmsPackageDir(nmsDir), main)).href);
  const ctor = isRecord(mod) && isConstructor(mod.default) ? mod.default : isConstructor(mod) ? mod : undefined;
  if (ctor === undefined) throw new Error('node-media-server exports no constructor');
  const major = Number(version.split('.')[0]);
  const config =
    major >= 4
      ? {
          bind: '127.0.0.1',
          rtmp: { port: rtmpPort },
          http: { port: httpPort },
          store: { path: dataDir },
          webadmin: { enable: false },
          record: { auto: false },
          auth: { play: false, publish: false },
        }
      : {
          logType: 0,
          rtmp: { port: rtmpPort, chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 },
          http: { port: httpPort, allow_origin: '*', mediaroot: dataDir },
        };
  const nms: unknown = new ctor(config);
  if (!isRunnable(nms)) throw new Error('node-media-server instance has no run()');
  await nms.run();
  // Our parent owns us: exit with it (IPC channel closes) or on SIGTERM.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

interface Proc {
  child: ChildProcess;
  stop(): Promise<void>;
}

function track(child: ChildProcess): Proc {
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('node-media-server exited during start');
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} never opened`);
}

/** The simulator's encoding (test/sim/media-clip.ts) in an FLV file for ffmpeg to publish. */
async function makeClip(path: string, bitrateKbps: number): Promise<void> {
  const rate = `${bitrateKbps}k`;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '8', '-pix_fmt', 'yuv420p',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0',
    '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-an', '-f', 'flv', path];
  await new Promise<void>((ok, fail) => {
    execFile('ffmpeg', args, { timeout: 120_000 }, (err, _out, stderr) => (err ? fail(new Error(`ffmpeg clip: ${stderr || err.message}`)) : ok()));
  });
}

/** An RTMP player: ffmpeg copying to nowhere, reporting frames on a progress pipe. */
function rtmpViewer(url: string): FlvViewer & { proc: Proc } {
  const child = spawn('ffmpeg', ['-v', 'error', '-nostats', '-progress', 'pipe:1', '-i', url, '-c', 'copy', '-f', 'null', '-'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const proc = track(child);
  const viewer = { bytes: 0, videoTags: 0, firstVideoAt: 0, close: () => void proc.stop(), proc };
  child.stdout?.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/^frame=(\d+)$/gm)) {
      viewer.videoTags = Number(m[1]);
      if (viewer.videoTags > 0 && viewer.firstVideoAt === 0) viewer.firstVideoAt = performance.now();
    }
  });
  return viewer;
}

async function main(): Promise<void> {
  const nmsDir = arg('nms-dir', '');
  if (nmsDir === '') throw new Error('--nms-dir=<folder where node-media-server was installed with npm --prefix> is required');
  if (arg('role', '') === 'server') {
    await serve(nmsDir, Number(arg('rtmp-port', '0')), Number(arg('http-port', '0')), arg('data-dir', tmpdir()));
    return;
  }
  const streams = Number(arg('streams', '50'));
  const seconds = Number(arg('seconds', '30'));
  const bitrate = Number(arg('bitrate', '2000'));
  const viewerKind = arg('viewer', 'http') as 'http' | 'rtmp' | 'none';
  const nms = nmsVersion(nmsDir);

  const work = mkdtempSync(join(tmpdir(), 'gbvms-nms-'));
  const clip = join(work, 'clip.flv');
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const publishers: Proc[] = [];
  const viewers: Array<FlvViewer & { proc?: Proc }> = [];
  let server: Proc | undefined;
  try {
    await makeClip(clip, bitrate);
    const self = fileURLToPath(import.meta.url);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', self, '--role=server', `--nms-dir=${nmsDir}`, `--rtmp-port=${rtmpPort}`, `--http-port=${httpPort}`, `--data-dir=${work}`],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    server = track(child);
    const pid = child.pid ?? 0;
    await waitForPort(rtmpPort, child);
    await waitForPort(httpPort, child);
    await sleep(2000);
    const idle0 = cpuSeconds(pid);
    await sleep(5000);
    const idleCpuPerSec = (cpuSeconds(pid) - idle0) / 5;
    const rssIdle = rssMb(pid);

    for (let i = 0; i < streams; i++) {
      const p = spawn('ffmpeg', ['-v', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/s${i}`], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      publishers.push(track(p));
      await sleep(50);
    }
    await sleep(2000);
    for (let i = 0; i < streams && viewerKind !== 'none'; i++) {
      viewers.push(viewerKind === 'http' ? viewHttpFlv(`http://127.0.0.1:${httpPort}/live/s${i}.flv`) : rtmpViewer(`rtmp://127.0.0.1:${rtmpPort}/live/s${i}`));
    }
    for (let i = 0; i < 200 && viewers.some((v) => v.firstVideoAt === 0); i++) await sleep(50);
    const started = viewers.filter((v) => v.firstVideoAt > 0).length;
    await sleep(3000);

    const bytes0 = viewers.reduce((n, v) => n + v.bytes, 0);
    const tags0 = viewers.reduce((n, v) => n + v.videoTags, 0);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const window = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const rss = rssMb(pid);
    const tags = viewers.reduce((n, v) => n + v.videoTags, 0) - tags0;
    const bytes = viewers.reduce((n, v) => n + v.bytes, 0) - bytes0;
    const alive = publishers.filter((p) => p.child.exitCode === null).length;
    const corePct = (cpu / window - idleCpuPerSec) * 100;
    const perViewer = Math.max(1, viewers.length);
    console.log(
      [
        `node-media-server ${nms.version} (${nms.license}), Node ${process.version}; ${streams} streams published over RTMP by ffmpeg (${alive} still publishing), ${bitrate} kbit/s H.264 1280x720 25 fps GOP 50; viewer: ${viewerKind} (${started}/${viewers.length} got video); window ${window.toFixed(1)} s`,
        `NMS CPU: ${((cpu / window) * 100).toFixed(1)}% of one core in the window, idle ${(idleCpuPerSec * 100).toFixed(1)}%, => ${(corePct / streams).toFixed(3)}% of one core per stream`,
        `NMS RSS: ${rss.toFixed(0)} MB with the streams, ${rssIdle.toFixed(0)} MB before => ${((rss - rssIdle) / streams).toFixed(2)} MB per stream`,
        ...(viewerKind === 'none'
          ? []
          : [
              `viewers: ${(tags / window / perViewer).toFixed(1)} video frames/s per viewer (source 25)` +
                (viewerKind === 'http' ? `, ${((bytes * 8) / window / perViewer / 1000).toFixed(0)} kbit/s per viewer` : ''),
            ]),
      ].join('\n'),
    );
  } finally {
    for (const v of viewers) v.close();
    await Promise.all(viewers.map((v) => v.proc?.stop()));
    await Promise.all(publishers.map((p) => p.stop()));
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
