import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../logger';
import { errnoOf } from '../ingest/errors';
import { connectWithRetry } from '../ingest/tcp-connect';
import type { PackedFrame } from './ps-rtp-packer';
import type { ForwardSender, SenderCloseReason } from './sender';

export interface TcpForwardSenderOptions {
  role: 'active' | 'passive';
  /** Address we listen on (passive) or connect from (active). */
  bindHost: string;
  /** passive: the port to listen on (0 = any). */
  localPort: number;
  /** active: the receiver's listener. passive: the address we expect it to connect from (logged only). */
  host: string;
  port: number;
  /** active: connect attempts within this budget; passive: how long to wait for the receiver. */
  connectTimeoutMs: number;
  log: Logger;
}

/**
 * RTP over one TCP connection (RFC 4571 framed by the packer): we connect to the receiver
 * (active) or wait for it on our port (passive). Either way a closed connection ends the
 * forwarding; a frame is one write, and the socket's queue is what a slow receiver shows.
 */
export class TcpForwardSender implements ForwardSender {
  private socket: Socket | null = null;
  private server: Server | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private listenPort = 0;
  /** Set when the connection failed or closed before begin() gave us someone to tell. */
  private failed: SenderCloseReason | null = null;
  readonly sendErrors = 0;

  constructor(private readonly options: TcpForwardSenderOptions) {}

  get ready(): boolean {
    return this.socket !== null && !this.closed;
  }

  get remote(): string | null {
    const s = this.socket;
    if (s !== null) return `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`;
    return this.options.role === 'active' ? `${this.options.host}:${this.options.port}` : null;
  }

  get localPort(): number {
    return this.options.role === 'passive' ? this.listenPort : (this.socket?.localPort ?? 0);
  }

  async open(): Promise<number> {
    if (this.options.role === 'active') return 0;
    const server = createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.bindHost, port: this.options.localPort, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.log.warn({ err }, 'forward TCP listener error'));
    this.server = server;
    const address = server.address();
    this.listenPort = typeof address === 'object' && address ? address.port : 0;
    return this.listenPort;
  }

  private onReady: () => void = () => undefined;
  private onClosed: (reason: SenderCloseReason) => void = () => undefined;

  begin(onReady: () => void, onClosed: (reason: SenderCloseReason) => void): void {
    this.onReady = onReady;
    this.onClosed = onClosed;
    if (this.failed !== null) onClosed(this.failed);
    if (this.closed) return;
    if (this.options.role === 'passive') {
      if (this.socket !== null) onReady();
      else this.timer = setTimeout(() => this.fail('connect-failed', 'the receiver did not connect in time'), this.options.connectTimeoutMs);
      return;
    }
    const { host, port, bindHost, connectTimeoutMs } = this.options;
    connectWithRetry({
      host,
      port,
      ...(bindHost !== '0.0.0.0' && bindHost !== '::' ? { localAddress: bindHost } : {}),
      timeoutMs: connectTimeoutMs,
      retryDelayMs: 200,
      signal: this.abort.signal,
    }).then(
      (socket) => this.adopt(socket),
      (err: unknown) => this.fail('connect-failed', `could not connect to ${host}:${port}: ${errnoOf(err)}`),
    );
  }

  send(frame: PackedFrame): void {
    const socket = this.socket;
    if (socket === null || this.closed) return;
    socket.write(frame.data);
  }

  pendingBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
    this.server?.close();
    this.server = null;
  }

  private onConnection(socket: Socket): void {
    if (this.closed || this.socket !== null) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    // One receiver: stop listening once it is here.
    this.server?.close();
    this.server = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.adopt(socket);
  }

  private adopt(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.on('error', (err) => this.options.log.debug({ err }, 'forward TCP connection error'));
    socket.on('close', () => {
      if (this.socket === socket) this.fail('disconnected', 'the receiver closed the connection');
    });
    // What the receiver sends (RTCP, if anything) is not needed.
    socket.on('data', () => undefined);
    this.socket = socket;
    this.options.log.debug({ remote: this.remote }, 'forward TCP connected');
    this.onReady();
  }

  private fail(reason: SenderCloseReason, message: string): void {
    if (this.closed) return;
    this.options.log.info({ reason, message }, 'forward connection ended');
    const onClosed = this.onClosed;
    this.failed = reason;
    this.close();
    onClosed(reason);
  }
}
