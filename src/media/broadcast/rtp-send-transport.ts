import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../logger';
import { UdpForwardSender } from '../forward/udp-sender';
import { connectWithRetry } from '../ingest/tcp-connect';
import { frameForTcp } from '../rtp/tcp-framer';

/** Where broadcast RTP goes: a UDP socket, or a TCP connection with RFC 4571 framing. */
export interface RtpSendTransport {
  readonly kind: 'udp' | 'tcp';
  send(packet: Buffer): void;
  /** Resolves when the peer closed the TCP connection (never for UDP). */
  readonly peerClosed: Promise<void>;
  close(): void;
}

/**
 * UDP from our leased port (so the device sees packets from the port our SDP named), through the
 * cascade forwarder's sender: one packet is a frame of one packet.
 */
export async function udpSender(local: { host: string; port: number }, remote: { address: string; port: number }, log: Logger): Promise<RtpSendTransport> {
  const sender = new UdpForwardSender(local.host, local.port, remote.address, remote.port, log);
  try {
    await sender.open();
  } catch (err) {
    sender.close();
    throw err;
  }
  return {
    kind: 'udp',
    peerClosed: new Promise<void>(() => undefined),
    send: (packet) => sender.send({ data: packet, packets: 1, stride: packet.length }),
    close: () => sender.close(),
  };
}

function tcpTransport(socket: Socket): RtpSendTransport {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  const peerClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    kind: 'tcp',
    peerClosed,
    send(packet) {
      // A device that stops reading must not grow our memory: drop while 256 KiB wait.
      if (!socket.destroyed && socket.writableLength < 256 * 1024) socket.write(frameForTcp(packet));
    },
    close() {
      socket.destroy();
    },
  };
}

/** We connect to the device (it said a=setup:passive or nothing): one attempt within `timeoutMs` (a retry delay of 0 means none). */
export async function tcpConnectSender(remote: { address: string; port: number }, timeoutMs: number): Promise<RtpSendTransport> {
  const socket = await connectWithRetry({ host: remote.address, port: remote.port, timeoutMs, retryDelayMs: 0, signal: new AbortController().signal });
  return tcpTransport(socket);
}

/**
 * A listener on our leased port; the device (a=setup:active) connects to it. It listens from the
 * moment our answer names the port: a device may connect as soon as it has our 200, before its
 * ACK reaches us, and that first connection is kept for accept().
 */
export class TcpAcceptSender {
  private readonly server: Server;
  private arrived: Socket | null = null;
  /** The accept() waiting: given the connection, or ended by close() at once instead of at its timeout. */
  private waiting: { take(socket: Socket): void; abandon(): void } | null = null;
  private closed = false;

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('error', () => undefined);
  }

  static async listen(local: { host: string; port: number }): Promise<TcpAcceptSender> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(local.port, local.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpAcceptSender(server);
  }

  /** The port listened on (the leased one; tests listen on 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** The first connection (maybe one already made); the listener closes then (one device per broadcast). */
  accept(timeoutMs: number): Promise<RtpSendTransport> {
    const arrived = this.arrived;
    if (arrived !== null) {
      this.arrived = null;
      return Promise.resolve(tcpTransport(arrived));
    }
    if (this.closed) return Promise.reject(new Error('the listener is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.close();
        reject(new Error(`the device did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        take: (socket) => {
          clearTimeout(timer);
          resolve(tcpTransport(socket));
        },
        abandon: () => {
          clearTimeout(timer);
          reject(new Error('the listener was closed before the device connected'));
        },
      };
    });
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.server.close();
    }
    this.arrived?.destroy();
    this.arrived = null;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.abandon();
  }

  private onConnection(socket: Socket): void {
    if (this.closed || this.arrived !== null) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.closed = true;
    this.server.close();
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null) {
      waiting.take(socket);
      return;
    }
    socket.on('error', () => undefined);
    this.arrived = socket;
  }
}
