import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoOf, RtpIngestError } from './errors';

export interface TcpConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** The whole budget, all attempts included. */
  timeoutMs: number;
  /** Pause after a refused or failed attempt. */
  retryDelayMs: number;
  /** Aborting destroys the attempt in flight and rejects. */
  signal: AbortSignal;
  onRetry?(attempt: number, errno: string): void;
  /** Resolve with a paused socket that has read nothing (the owner resumes it, or hands its descriptor on). */
  paused?: boolean;
}

/**
 * Connects to a camera's TCP listener. Cameras often open it only after they sent the 200 OK, so
 * a refused connection is retried until `timeoutMs` has passed; then it fails with the last
 * reason (ECONNREFUSED, ETIMEDOUT, ...).
 */
export async function connectWithRetry(options: TcpConnectOptions): Promise<Socket> {
  const { host, port, timeoutMs, signal } = options;
  const deadline = performance.now() + timeoutMs;
  let attempts = 0;
  let last = 'ETIMEDOUT';
  for (;;) {
    if (signal.aborted) throw aborted(host, port);
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    attempts++;
    try {
      return await connectOnce(options, remaining);
    } catch (err) {
      if (signal.aborted) throw aborted(host, port);
      last = errnoOf(err);
    }
    const pause = Math.min(options.retryDelayMs, deadline - performance.now());
    if (pause <= 0) break;
    options.onRetry?.(attempts, last);
    try {
      await sleep(pause, undefined, { signal });
    } catch {
      throw aborted(host, port);
    }
  }
  throw new RtpIngestError(
    'connect-failed',
    `could not connect to the camera at ${host}:${port} within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'}, last error ${last})`,
    last,
  );
}

function aborted(host: string, port: number): RtpIngestError {
  return new RtpIngestError('closed', `connecting to ${host}:${port} was abandoned: the receiver closed`);
}

function connectOnce(options: TcpConnectOptions, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host,
      port: options.port,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.localPort ? { localPort: options.localPort } : {}),
    });
    // A net.Socket that is not paused starts reading as it connects; a connection handed to
    // native/rtp-recv must not have bytes sitting in Node's buffers.
    if (options.paused === true) socket.pause();
    const timer = setTimeout(() => fail(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    const onAbort = (): void => fail(new Error('aborted'));
    options.signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.off('connect', succeed);
      socket.off('error', fail);
    };
    function fail(err: Error): void {
      cleanup();
      socket.on('error', ignore);
      socket.destroy();
      reject(err);
    }
    function succeed(): void {
      cleanup();
      // Until the owner adds its listeners, an error must not become an uncaught exception.
      socket.on('error', ignore);
      resolve(socket);
    }
    socket.once('connect', succeed);
    socket.once('error', fail);
  });
}

function ignore(): void {}
