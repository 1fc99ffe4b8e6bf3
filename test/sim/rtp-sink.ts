/**
 * Test helper: the platform's media receiver for one stream, on a real socket: UDP, a TCP listener
 * (offer a=setup:passive: the camera connects) or a TCP client (a=setup:active: we connect to the
 * camera's answer port). Packets are parsed with src/media/rtp and demuxed with src/media/ps.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { parseRtpPacket, type RtpPacket } from '../../src/media/rtp/packet';
import { RtpTcpFramer } from '../../src/media/rtp/tcp-framer';
import { collectingDemuxer, type Demuxed } from '../media/helpers/ps-stream';

export interface ReceivedRtp extends RtpPacket {
  at: number;
  /** UDP: the sender's port. */
  fromPort?: number;
}

export class RtpSink {
  readonly packets: ReceivedRtp[] = [];
  readonly demuxed: Demuxed = collectingDemuxer();
  /** The camera's end of the TCP connection, once there is one. */
  peer: { address: string; port: number } | undefined;
  malformed = 0;
  /** UDP: the bound port; TCP listener: the listening port; TCP client: our end of the connection. */
  port = 0;
  private udp: UdpSocket | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<TcpSocket>();

  private constructor() {}

  static async udp(): Promise<RtpSink> {
    const sink = new RtpSink();
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    sink.udp = socket;
    socket.on('message', (buf, rinfo) => sink.onPacket(buf, rinfo.port));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    sink.port = socket.address().port;
    return sink;
  }

  static async tcpListen(): Promise<RtpSink> {
    const sink = new RtpSink();
    const server = createServer((socket) => sink.adopt(socket));
    sink.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    sink.port = typeof address === 'object' && address ? address.port : 0;
    return sink;
  }

  static async tcpConnect(host: string, port: number): Promise<RtpSink> {
    const sink = new RtpSink();
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    sink.adopt(socket);
    sink.port = socket.localPort ?? 0;
    return sink;
  }

  /** Resolves once `check` holds (rejects after timeoutMs). */
  waitFor(check: (sink: RtpSink) => boolean, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = (): void => {
        if (check(this)) resolve();
        else if (Date.now() - started > timeoutMs) reject(new Error(`RTP condition not reached (${this.packets.length} packets)`));
        else setTimeout(poll, 10);
      };
      poll();
    });
  }

  /** The video frames received so far as one Annex B stream (for ffprobe). */
  annexB(): Buffer {
    return Buffer.concat(this.demuxed.frames.filter((f) => f.kind === 'video').map((f) => f.data));
  }

  get lastPacketAt(): number {
    return this.packets[this.packets.length - 1]?.at ?? 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const { udp, server } = this;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private adopt(socket: TcpSocket): void {
    this.sockets.add(socket);
    this.peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const framer = new RtpTcpFramer({ onPacket: (p) => this.onPacket(p) });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private onPacket(buf: Buffer, fromPort?: number): void {
    const packet = parseRtpPacket(buf);
    if (!packet) {
      this.malformed++;
      return;
    }
    this.packets.push({ ...packet, at: performance.now(), ...(fromPort !== undefined ? { fromPort } : {}) });
    this.demuxed.demuxer.push(packet.payload, packet.timestamp, packet.marker);
  }
}
