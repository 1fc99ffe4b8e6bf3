import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { ByteFramer } from './framing';

/** Where a raw SIP message came from, and how to answer it (the TCP connection it came on). */
export interface Peer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  socket?: TcpSocket;
}

/**
 * A test peer's SIP sockets on 127.0.0.1: UDP and TCP (TCP on the UDP port when `samePort`),
 * every message handed to `onRaw` with its peer. Used by the mini registrar and the upper-platform
 * simulator, which differ only in what they do with the messages.
 */
export class SipListener {
  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    /** Accepted TCP connections, destroyed at close. */
    private readonly sockets: Set<TcpSocket>,
    readonly udpPort: number,
    readonly tcpPort: number,
  ) {}

  static async open(onRaw: (raw: Buffer, peer: Peer) => void, options: { udpPort?: number; samePort?: boolean } = {}): Promise<SipListener> {
    const udp = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    udp.on('message', (buf, rinfo) => onRaw(buf, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(options.udpPort ?? 0, '127.0.0.1', () => resolve());
    });
    const udpPort = udp.address().port;
    const sockets = new Set<TcpSocket>();
    const tcp = createServer((socket) => {
      sockets.add(socket);
      const framer = new ByteFramer();
      const peer: Peer = { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, socket };
      socket.on('data', (chunk: Buffer) => {
        for (const raw of framer.push(chunk)) onRaw(raw, peer);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => tcp.listen(options.samePort ? udpPort : 0, '127.0.0.1', () => resolve()));
    const address = tcp.address();
    return new SipListener(udp, tcp, sockets, udpPort, typeof address === 'object' && address ? address.port : 0);
  }

  send(bytes: Buffer, peer: Peer): void {
    if (peer.transport === 'udp') this.udp.send(bytes, peer.port, peer.address);
    else if (peer.socket && !peer.socket.destroyed) peer.socket.write(bytes);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}
