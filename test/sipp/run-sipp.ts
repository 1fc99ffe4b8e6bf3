/**
 * Runs a SIPp scenario of this folder against a server, as an independent SIP peer for
 * integration tests and benchmarks. Writes the injection CSV, statistics and error logs into a
 * temporary directory, and kills SIPp (its own child process) when it outlives the time limit.
 *
 * SIPp exit codes: 0 all calls succeeded, 1 some failed, 97 internal exit, 99 no call processed,
 * 255/254 (-1/-2) fatal error / could not bind.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SippTransport = 'u1' | 't1' | 'un';

export interface RunSippOptions {
  /** Scenario file: a name in test/sipp (e.g. "register-auth.xml") or a path. */
  scenario: string;
  /** Target, "127.0.0.1:port". */
  server: string;
  transport: SippTransport;
  /** CSV text (first line SEQUENTIAL/RANDOM/USER), written to a temp file for -inf. */
  injectCsv?: string;
  /** -m: calls to run before exiting. Default 1. */
  calls?: number;
  /** -r: calls started per second. Default 10. */
  rate?: number;
  /** -timeout (seconds): SIPp stops itself; the process is killed 5 s later if still alive. Default 20. */
  timeoutS?: number;
  /** Platform SIP ID and domain: set -key server_id/domain and -auth_uri <server_id>@<server>. */
  serverId?: string;
  domain?: string;
  /** More -key keyword values (e.g. { bad_id: '123' }). */
  keys?: Record<string, string>;
  /** -set global variables (e.g. { keepalives: '3', keepalive_ms: '200' }). */
  sets?: Record<string, string>;
  /** Local address for Via/Contact and the bind (-i, -bind_local). Default 127.0.0.1. */
  localIp?: string;
  /** Local port (-p); a free one when unset. Two runs on one port look like the same devices. */
  localPort?: number;
  /** Also write every message to the temp dir (-trace_msg); returned in `messages`. */
  traceMessages?: boolean;
  extraArgs?: string[];
}

/** Last line of SIPp's -trace_stat CSV, by column name, plus the counters tests read most. */
export interface SippStats {
  successfulCalls: number;
  failedCalls: number;
  createdCalls: number;
  /** Every cumulative column of the last statistics line, e.g. "FailedUnexpectedMessage(C)". */
  columns: Record<string, string>;
}

export interface RunSippResult {
  exitCode: number;
  /** True when SIPp had to be killed after its own timeout did not end it. */
  killed: boolean;
  stdout: string;
  stderr: string;
  /** The argv SIPp ran with (for reports and reproduction). */
  command: string[];
  stats?: SippStats;
  /** Contents of the -trace_err log (unexpected messages), empty when none. */
  errors: string;
  messages?: string;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

export function scenarioPath(scenario: string): string {
  return isAbsolute(scenario) || scenario.includes('/') ? scenario : join(HERE, scenario);
}

/** A port free right now on `host` for the given transport (SIPp would otherwise try 5060 first). */
async function freePort(host: string, transport: SippTransport): Promise<number> {
  if (transport === 't1') {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return typeof address === 'object' && address ? address.port : 0;
  }
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export function parseStatCsv(text: string): SippStats | undefined {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const headerLine = lines[0];
  const last = lines[lines.length - 1];
  if (lines.length < 2 || headerLine === undefined || last === undefined) return undefined;
  const names = headerLine.split(';');
  const values = last.split(';');
  const columns: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name !== '') columns[name] = values[i] ?? '';
  });
  const num = (name: string): number => Number(columns[name] ?? 'NaN');
  return {
    successfulCalls: num('SuccessfulCall(C)'),
    failedCalls: num('FailedCall(C)'),
    createdCalls: num('TotalCallCreated'),
    columns,
  };
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

export async function runSipp(options: RunSippOptions): Promise<RunSippResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gbvms-sipp-'));
  try {
    const localIp = options.localIp ?? '127.0.0.1';
    const timeoutS = options.timeoutS ?? 20;
    const files = {
      csv: join(dir, 'inject.csv'),
      stat: join(dir, 'stat.csv'),
      errors: join(dir, 'errors.log'),
      messages: join(dir, 'messages.log'),
    };
    const args = [
      options.server,
      '-sf', scenarioPath(options.scenario),
      '-t', options.transport,
      '-i', localIp,
      '-p', String(options.localPort ?? (await freePort(localIp, options.transport))),
      '-m', String(options.calls ?? 1),
      '-r', String(options.rate ?? 10),
      '-timeout', `${timeoutS}s`,
      '-timeout_error',
      '-nostdin',
      '-trace_stat', '-stf', files.stat,
      '-trace_err', '-error_file', files.errors,
    ];
    if (options.traceMessages) args.push('-trace_msg', '-message_file', files.messages);
    if (options.injectCsv !== undefined) {
      await writeFile(files.csv, options.injectCsv.endsWith('\n') ? options.injectCsv : `${options.injectCsv}\n`);
      args.push('-inf', files.csv);
    }
    const keys: Record<string, string> = { ...options.keys };
    if (options.serverId !== undefined) {
      keys['server_id'] = options.serverId;
      args.push('-auth_uri', `${options.serverId}@${options.server}`);
    }
    if (options.domain !== undefined) keys['domain'] = options.domain;
    for (const [k, v] of Object.entries(keys)) args.push('-key', k, v);
    for (const [k, v] of Object.entries(options.sets ?? {})) args.push('-set', k, v);
    args.push(...(options.extraArgs ?? []));

    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, (timeoutS + 5) * 1000);
    const exitCode = await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        stderr += String(err);
        resolve(-1);
      });
      child.on('close', (code) => resolve(code ?? -1));
    });
    clearTimeout(killer);

    const stats = parseStatCsv(await readIfExists(files.stat));
    const result: RunSippResult = {
      exitCode,
      killed,
      stdout,
      stderr,
      command: ['sipp', ...args],
      errors: await readIfExists(files.errors),
    };
    if (stats) result.stats = stats;
    if (options.traceMessages) result.messages = await readIfExists(files.messages);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
