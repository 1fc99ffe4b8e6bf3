/**
 * One simulator socket towards the platform: a UDP socket on an ephemeral port, or one TCP
 * connection. Several devices may share an endpoint (a fleet puts ~1000 devices on one UDP
 * socket): responses are matched to transactions by branch, requests are routed to the device
 * named in the Request-URI (or To) user part.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { ClientTransactions, resolveTimers, type TransactionResult } from './transactions';
import { ByteFramer } from './framing';
import { parseSipMessage, topBranch, uriUser, type SipMessage, type SipRequest } from './sip';
import type { SimTimers, SimTransportKind, TransactionOutcome } from './types';

export interface InboundRequest {
  message: SipRequest;
  raw: Buffer;
  /** Sends bytes back where the request came from (UDP source address, or the TCP connection). */
  reply(bytes: Buffer): void;
}

export interface SimEndpointOptions {
  transport: SimTransportKind;
  server: { host: string; port: number };
  localHost?: string;
  timers?: SimTimers;
  /** Sees every finished client transaction (a fleet collects latency and statuses here). */
  onTransaction?: (outcome: TransactionOutcome) => void;
}

export type RequestHandler = (request: InboundRequest) => void;

export class SimEndpoint {
  readonly transport: SimTransportKind;
  readonly localHost: string;
  /** Bytes that did not parse as SIP, and requests no attached device claimed. */
  readonly counters = { parseErrors: 0, unrouted: 0, strayResponses: 0 };
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly transactions: ClientTransactions;
  private udp?: UdpSocket;
  private tcp?: TcpSocket;
  private port = 0;
  private closed = false;

  private constructor(private readonly options: SimEndpointOptions) {
    this.transport = options.transport;
    this.localHost = options.localHost ?? '127.0.0.1';
    const send = (bytes: Buffer, done: (err?: Error) => void): void => this.sendToServer(bytes, done);
    this.transactions = new ClientTransactions(
      send,
      options.transport === 'tcp',
      resolveTimers(options.timers),
      options.onTransaction,
    );
  }

  /** Binds the UDP socket or connects to the server over TCP. */
  static async open(options: SimEndpointOptions): Promise<SimEndpoint> {
    const endpoint = new SimEndpoint(options);
    if (options.transport === 'udp') await endpoint.bindUdp();
    else await endpoint.connectTcp();
    return endpoint;
  }

  get localPort(): number {
    return this.port;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  attach(deviceId: string, handler: RequestHandler): void {
    this.handlers.set(deviceId, handler);
  }

  detach(deviceId: string): void {
    this.handlers.delete(deviceId);
  }

  request(
    method: string,
    branch: string,
    bytes: Buffer,
    onMessage?: (message: SipMessage, raw: Buffer) => void,
  ): Promise<TransactionResult> {
    return this.transactions.request(method, branch, bytes, onMessage);
  }

  private bindUdp(): Promise<void> {
    // Thousands of devices answer in bursts: the default ~208 KiB buffer drops datagrams (Linux caps this at rmem_max).
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.udp = socket;
    socket.on('message', (buf, rinfo) => {
      this.onBytes(buf, (bytes) => {
        if (!this.closed) socket.send(bytes, rinfo.port, rinfo.address);
      });
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.localHost, () => {
        socket.off('error', reject);
        // A socket error after bind (ICMP unreachable surfacing as ECONNREFUSED on some systems) must not crash the test.
        socket.on('error', () => undefined);
        this.port = socket.address().port;
        resolve();
      });
    });
  }

  private connectTcp(): Promise<void> {
    const socket = connect({ host: this.options.server.host, port: this.options.server.port, localAddress: this.localHost });
    this.tcp = socket;
    socket.setNoDelay(true);
    const framer = new ByteFramer();
    const reply = (bytes: Buffer): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) this.onBytes(raw, reply);
      if (framer.broken) {
        this.counters.parseErrors++;
        socket.destroy();
      }
    });
    socket.on('close', () => this.transactions.close());
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        this.port = socket.localPort ?? 0;
        resolve();
      });
    });
  }

  private onBytes(buf: Buffer, reply: (bytes: Buffer) => void): void {
    const result = parseSipMessage(buf);
    if (!result.ok) {
      this.counters.parseErrors++;
      return;
    }
    this.dispatch(result.message, buf, reply);
  }

  private dispatch(message: SipMessage, raw: Buffer, reply: (bytes: Buffer) => void): void {
    if (message.type === 'response') {
      if (!this.transactions.onResponse(message, raw, topBranch(message))) this.counters.strayResponses++;
      return;
    }
    const handler = this.route(message);
    if (!handler) {
      this.counters.unrouted++;
      return;
    }
    handler({ message, raw, reply });
  }

  private route(request: SipRequest): RequestHandler | undefined {
    const byUri = uriUser(request.uri);
    const direct = byUri === undefined ? undefined : this.handlers.get(byUri);
    if (direct) return direct;
    const toUser = uriUser(request.headers.get('to') ?? '');
    const byTo = toUser === undefined ? undefined : this.handlers.get(toUser);
    if (byTo) return byTo;
    // A lone device answers whatever reaches its socket, as a real camera would.
    const first = this.handlers.values().next().value;
    if (first && [...this.handlers.values()].every((h) => h === first)) return first;
    return undefined;
  }

  private sendToServer(bytes: Buffer, done: (err?: Error) => void): void {
    if (this.closed) {
      done(new Error('endpoint closed'));
      return;
    }
    const { host, port } = this.options.server;
    if (this.udp) {
      this.udp.send(bytes, port, host, (err) => done(err ?? undefined));
    } else if (this.tcp && !this.tcp.destroyed) {
      this.tcp.write(bytes, (err) => done(err ?? undefined));
    } else {
      done(new Error('not connected'));
    }
  }

  /** Closes the socket and ends pending transactions with status 0. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transactions.close();
    this.handlers.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp && !tcp.destroyed) {
      await new Promise<void>((resolve) => {
        tcp.once('close', () => resolve());
        tcp.end();
        setTimeout(() => tcp.destroy(), 200).unref();
      });
    }
  }
}
