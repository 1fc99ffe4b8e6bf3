import { isIP } from 'node:net';
import { RtpIngestError } from './errors';
import { connectWithRetry } from './tcp-connect';
import { TcpRtpIngest } from './tcp-ingest';

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * TCP active (`a=setup:active` on our side): the camera listens and we connect, after its 200 OK
 * named the address. One connection per stream; when it closes, the owner decides whether to
 * connect again.
 */
export class TcpActiveRtpIngest extends TcpRtpIngest {
  private readonly abort = new AbortController();
  private connecting: Promise<void> | undefined;

  get localPort(): number {
    return this.peer?.localPort ?? 0;
  }

  /** Nothing to bind: the connection is made by connect(). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    return Promise.resolve();
  }

  override connect(host: string, port: number): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    if (this.connecting || this.peer) {
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
    this.adopt(socket);
  }

  protected async closeSockets(): Promise<void> {
    this.abort.abort();
    await this.connecting?.catch(() => undefined);
    await this.destroyPeer();
  }
}
