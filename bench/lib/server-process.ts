import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/ports';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A process's user and kernel CPU so far, in seconds, from /proc/<pid>/stat. */
export function processCpu(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { user: Number(fields[11]) / CLOCK_TICKS, sys: Number(fields[12]) / CLOCK_TICKS };
}

/** The platform the benchmarks start: its ID, domain, device password and API token. */
export const BENCH_PLATFORM = {
  id: '44030000002000000001',
  domain: '4403000000',
  password: 'bench-pass',
  token: 'bench-token-0123456789',
} as const;

/** The server's environment for a benchmark: SIP and API on the given ports, the bench platform. */
export function signalingEnv(sipPort: number, httpPort: number): Record<string, string> {
  return {
    GBVMS_SIP_ID: BENCH_PLATFORM.id,
    GBVMS_SIP_DOMAIN: BENCH_PLATFORM.domain,
    GBVMS_SIP_HOST: '127.0.0.1',
    GBVMS_SIP_PORT: String(sipPort),
    GBVMS_SIP_PASSWORD: BENCH_PLATFORM.password,
    GBVMS_HTTP_PORT: String(httpPort),
    GBVMS_API_TOKEN: BENCH_PLATFORM.token,
  };
}

/** signalingEnv plus media on loopback with free ports, RTP in [min, max], streams kept while idle. */
export async function mediaEnv(sipPort: number, httpPort: number, rtpPorts: [number, number]): Promise<Record<string, string>> {
  return {
    ...signalingEnv(sipPort, httpPort),
    GBVMS_MEDIA_HOST: '127.0.0.1',
    GBVMS_MEDIA_HTTP_PORT: String(await freePort()),
    GBVMS_RTSP_PORT: String(await freePort()),
    GBVMS_RTP_PORT_MIN: String(rtpPorts[0]),
    GBVMS_RTP_PORT_MAX: String(rtpPorts[1]),
    GBVMS_LIVE_IDLE_STOP_SEC: '600',
    GBVMS_RECORD_MIN_FREE_BYTES: '0',
  };
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  /** utime+stime of the process in seconds. */
  cpuSeconds(): number;
  /** utime and stime apart, in seconds: user space vs the kernel's socket work. */
  cpuSplit(): { user: number; sys: number };
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx src/main.ts` (what `npm start` runs) with the given environment;
 * `entry` replaces `src/main.ts` (a benchmark that wires the App itself runs its own file).
 */
export async function startServerProcess(env: Record<string, string>, entry: string[] = ['src/main.ts']): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gbvms-bench-'));
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', ...entry], {
    cwd: REPO,
    env: { ...process.env, GBVMS_DATA_DIR: dataDir, GBVMS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  // BENCH_SERVER_STDOUT=<file> keeps the server's stdout (e.g. with BENCH_NODE_ARGS=--trace-gc).
  const keep = process.env.BENCH_SERVER_STDOUT;
  child.stdout?.on('data', (d: Buffer) => {
    if (keep !== undefined) appendFileSync(keep, d);
    out += d.toString();
    if (out.length > 1e6) out = out.slice(-1e5);
  });
  const pid = child.pid ?? 0;
  const started = Date.now();
  // The API port answers once the whole server (SIP first) is up.
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${env.GBVMS_HTTP_PORT}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (Date.now() - started > 20000) throw new Error('server did not start in 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const cpuSplit = (): { user: number; sys: number } => processCpu(pid);
  return {
    child,
    pid,
    dataDir,
    cpuSeconds() {
      const { user, sys } = cpuSplit();
      return user + sys;
    },
    cpuSplit,
    rssMb() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    async stop() {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function arg(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : (process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback);
}
