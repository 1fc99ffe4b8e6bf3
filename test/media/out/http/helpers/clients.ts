import { execFile } from 'node:child_process';
import { get, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a player (ffprobe/ffmpeg) without blocking the event loop: the live feed and the server
 * under test run in this same process and must keep their timing while it plays.
 */
export function run(command: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
}

export async function ffprobeStreams(input: string, extra: string[] = []): Promise<ProbedStream[]> {
  const r = await run('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-of', 'json', input]);
  if (r.code !== 0) throw new Error(`ffprobe ${input} failed (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams?: ProbedStream[] }).streams ?? [];
}

/** The key flag of each video packet of a file, in order ('K' marks a key frame). */
export async function videoPacketFlags(path: string): Promise<string[]> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=flags', '-of', 'csv=p=0', path]);
  if (r.code !== 0) throw new Error(`ffprobe ${path} failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

export interface Collected {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** ms after the request each chunk arrived, and its size. */
  chunks: { at: number; bytes: number }[];
}

/** GETs a URL and keeps what arrives for `ms` (or until the response ends), then hangs up. */
export function collectHttp(url: string, ms: number): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const parts: Buffer[] = [];
    const chunks: Collected['chunks'] = [];
    const req = get(url, (res) => {
      const finish = (): void => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), chunks });
      };
      const timer = setTimeout(finish, ms);
      res.on('data', (d: Buffer) => {
        parts.push(d);
        chunks.push({ at: performance.now() - started, bytes: d.length });
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', reject);
  });
}

/** Opens a WebSocket and keeps the binary messages that arrive for `ms`, then closes it. */
export function collectWs(url: string, ms: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) messages.push(data);
    });
    ws.on('open', () => {
      setTimeout(() => {
        ws.terminate();
        resolve(messages);
      }, ms);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

/** The status and JSON body a refused WebSocket upgrade gets. */
export function wsRefusal(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('unexpected-response', (_req, res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown });
      });
    });
    ws.on('error', () => undefined);
  });
}

/** Sends raw bytes on a fresh TCP connection and returns what comes back before the server closes it (or `ms` pass). */
export function rawExchange(port: number, request: Buffer | string, ms = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(parts).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('connect', () => socket.end(request));
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('close', done);
    socket.on('error', done);
  });
}
