import net from 'node:net';
import type { Logger } from '../../logger';
import type { InboundDispatcher } from './dispatch';
import { normalizeAddress, peerKey } from './dispatch';
import { TcpConnection, type TcpConnectionOptions } from './tcp-connection';

export interface TcpEndpointOptions {
  host: string;
  port: number;
  maxMessageSize: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  maxQueuedBytes: number;
  logger: Logger;
  dispatcher: InboundDispatcher;
}

/**
 * TCP listener plus every connection, keyed by the remote `address:port`. A device behind NAT can
 * only be reached over the connection it opened, so sends look there first; otherwise we connect
 * (and read that connection too: answers to our requests come back on it).
 */
export class TcpEndpoint {
  /** By remote end; the newest wins when two share one (a device that dials from its listening port). */
  private readonly connections = new Map<string, TcpConnection>();
  /** Every open connection, including ones shadowed in `connections`, so close() ends them all. */
  private readonly open = new Set<TcpConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  /** Aborts of outgoing connects still in progress, so close() does not wait for their timeouts. */
  private readonly dialing = new Set<(err: Error) => void>();
  private readonly connectionOptions: TcpConnectionOptions;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: TcpEndpointOptions,
  ) {
    this.connectionOptions = {
      maxMessageSize: options.maxMessageSize,
      idleTimeoutMs: options.idleTimeoutMs,
      maxQueuedBytes: options.maxQueuedBytes,
      logger: options.logger,
      dispatcher: options.dispatcher,
      onClose: (c) => {
        this.open.delete(c);
        if (this.connections.get(c.key) === c) this.connections.delete(c.key);
      },
    };
    server.on('connection', (socket) => this.adopt(socket));
    server.on('error', (err) => options.logger.warn({ err }, 'SIP TCP server error'));
  }

  static async listen(options: TcpEndpointOptions): Promise<TcpEndpoint> {
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    return new TcpEndpoint(server, port, options);
  }

  get connectionCount(): number {
    return this.open.size;
  }

  async send(data: Buffer, address: string, port: number): Promise<void> {
    const connection = await this.connectionTo(normalizeAddress(address), port);
    await connection.write(data);
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const abort of [...this.dialing]) abort(new Error('SIP TCP transport is closed'));
      for (const c of this.open) c.destroy();
      this.open.clear();
      this.connections.clear();
    });
    return this.closed;
  }

  private adopt(socket: net.Socket): void {
    if (this.closed !== null || socket.remoteAddress === undefined || socket.remotePort === undefined) {
      socket.destroy();
      return;
    }
    const address = normalizeAddress(socket.remoteAddress);
    this.register(socket, address, socket.remotePort);
  }

  private register(socket: net.Socket, address: string, port: number): TcpConnection {
    const key = peerKey(address, port);
    const connection = new TcpConnection(socket, key, address, port, this.connectionOptions);
    this.connections.set(key, connection);
    this.open.add(connection);
    return connection;
  }

  private connectionTo(address: string, port: number): Promise<TcpConnection> {
    if (this.closed !== null) return Promise.reject(new Error('SIP TCP transport is closed'));
    const key = peerKey(address, port);
    const existing = this.connections.get(key);
    if (existing !== undefined && existing.isOpen) return Promise.resolve(existing);
    let pending = this.connecting.get(key);
    if (pending === undefined) {
      pending = this.connect(address, port).finally(() => this.connecting.delete(key));
      this.connecting.set(key, pending);
    }
    return pending;
  }

  private connect(address: string, port: number): Promise<TcpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port, noDelay: true });
      const abort = (err: Error): void => {
        clearTimeout(timer);
        this.dialing.delete(abort);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => abort(new Error(`TCP connect to ${peerKey(address, port)} timed out`)), this.options.connectTimeoutMs);
      this.dialing.add(abort);
      socket.once('error', abort);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.dialing.delete(abort);
        socket.off('error', abort);
        resolve(this.register(socket, address, port));
      });
    });
  }
}
