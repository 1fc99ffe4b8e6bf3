import { isIP, type Socket } from 'node:net';
import { descriptorOf } from './descriptor';
import { RtpIngestError } from './errors';
import type { NativeRtpSocket } from './native-rtp-recv';
import { connectWithRetry } from './tcp-connect';
import { TcpRtpIngest } from './tcp-ingest';
import type { RtpIngestStats } from './types';

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * TCP active (`a=setup:active` on our side): the camera listens and we connect, after its 200 OK
 * named the address. One connection per stream; when it closes, the owner decides whether to
 * connect again.
 *
 * Node.js connects (with its retries); with `nativeRtp` the connected socket is then handed to
 * native/rtp-recv's thread, which reads and frames it as a passive connection (ADR 0022).
 */
export class TcpActiveRtpIngest extends TcpRtpIngest {
  private readonly abort = new AbortController();
  private connecting: Promise<void> | undefined;
  private native: NativeRtpSocket | undefined;
  private nativeLocalPort = 0;

  get localPort(): number {
    return this.peer?.localPort ?? (this.native ? this.nativeLocalPort : 0);
  }

  override get stats(): RtpIngestStats {
    const stats = super.stats;
    stats.reader = this.native ? 'native' : 'node';
    return stats;
  }

  /** Nothing to bind: the connection is made by connect(). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    return Promise.resolve();
  }

  override connect(host: string, port: number): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    if (this.connecting || this.peer || this.native) {
      return Promise.reject(new RtpIngestError('wrong-state', `stream ${this.streamId}: already connected or connecting to ${this.remote ?? 'the camera'}`));
    }
    this.connecting = this.connectTo(host, port).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectTo(host: string, port: number): Promise<void> {
    const bindHost = this.options.host;
    const anyAddress = bindHost === '' || bindHost === '0.0.0.0' || bindHost === '::';
    const socket = await connectWithRetry({
      host,
      port,
      ...(anyAddress || isIP(bindHost) === 0 ? {} : { localAddress: bindHost }),
      ...(this.options.port > 0 ? { localPort: this.options.port } : {}),
      timeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      retryDelayMs: this.options.connectRetryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      signal: this.abort.signal,
      onRetry: (attempt, errno) => this.log.debug({ host, port, attempt, errno }, 'camera not accepting RTP connection yet; retrying'),
      paused: true,
    }).catch((err: unknown) => {
      if (err instanceof RtpIngestError) {
        if (err.failure === 'connect-failed') this.log.warn({ host, port, errno: err.errno }, err.message);
        throw new RtpIngestError(err.failure, `stream ${this.streamId}: ${err.message}`, err.errno);
      }
      throw err;
    });
    if (this.closed) {
      socket.destroy();
      throw new RtpIngestError('closed', `stream ${this.streamId}: closed while connecting`);
    }
    if (this.options.nativeRtp !== true || !this.handOver(socket)) this.adopt(socket);
  }

  /** True when native/rtp-recv reads the connection from now on; Node's socket is then closed. */
  private handOver(socket: Socket): boolean {
    const fd = descriptorOf(socket);
    if (fd === undefined) return false;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    let native: NativeRtpSocket | undefined;
    try {
      native = this.openNative(`take the TCP connection from ${remote}`, (reader) => reader.adopt(fd, this.nativeConnection));
    } catch (err) {
      // Out of descriptors, say: the connection is good, so Node.js reads it rather than losing it.
      this.log.warn({ err, remote }, 'native/rtp-recv cannot take the TCP connection; Node.js reads it');
      return false;
    }
    if (!native) return false;
    this.native = native;
    this.startRelay(native);
    this.nativeLocalPort = socket.localPort ?? 0;
    this.nativeFramer = this.beginConnection(remote);
    // The thread reads its own duplicate of the descriptor; closing Node's does not end the connection.
    socket.destroy();
    return true;
  }

  protected override nativeConnectionClosed(): void {
    this.endRelay();
    this.native?.close();
    this.native = undefined;
  }

  protected async closeSockets(): Promise<void> {
    this.abort.abort();
    await this.connecting?.catch(() => undefined);
    this.endRelay();
    this.native?.close();
    this.native = undefined;
    this.nativeFramer = undefined;
    await this.destroyPeer();
  }
}
