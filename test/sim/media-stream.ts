/**
 * One live stream of a simulated camera: the looped clip as RTP (PT from the offer, 90 kHz,
 * marker on the last packet of each PS pack) over UDP, over a TCP connection the camera opens
 * (offer a=setup:passive) or over one the platform opens to the camera (a=setup:active), RFC 4571
 * framed. The shared pacer calls sendDue; per packet only the RTP header is written.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { writeRtpHeader } from '../../src/media/rtp/packet';
import { loadSimClip, resolveMediaOptions, type ClipPacket, type SimClip } from './media-clip';
import { mediaPacer, type PacedStream } from './media-pacer';
import { shiftPackTime } from './ps-retime';
import type { AnswerPlan } from './invite-offer';
import type { SimMediaOptions, SimStreamEndReason, SimStreamStats } from './types';

export interface SimMediaStreamOptions {
  callId: string;
  channelId: string;
  plan: AnswerPlan;
  /** Address the camera binds and writes in its answer. */
  localHost: string;
  media: SimMediaOptions | undefined;
  /** Quirk: go silent this long after the first packet. */
  stopAfterMs?: number;
  onEnd(stats: SimStreamStats): void;
}

/** More queued on a TCP connection than this and packets are dropped, as a camera's send buffer overflows. */
const MAX_TCP_QUEUE = 4 << 20;
/** A platform that offered a=setup:active has this long after the ACK to connect. */
const CONNECT_WAIT_MS = 10_000;
/** Further behind than this (event loop stalled) and the stream skips ahead instead of bursting. */
const MAX_BEHIND_MS = 1000;

/** The packets of one tick on a TCP connection, written at once. */
interface TcpBatch {
  buffers: Buffer[];
  packets: number;
  bytes: number;
  frames: number;
}

export class SimMediaStream implements PacedStream {
  readonly stats: SimStreamStats;
  private readonly clipPromise: Promise<SimClip>;
  private clip: SimClip | undefined;
  private readonly spread: boolean;
  private udp: UdpSocket | undefined;
  private server: Server | undefined;
  private tcp: TcpSocket | undefined;
  private tcpConnected = false;
  private acked = false;
  private paced = false;
  private startAt = 0;
  private index = 0;
  private loop = 0;
  private seq = Math.floor(Math.random() * 65536);
  private waitTimer: NodeJS.Timeout | undefined;
  private readonly onUdpSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
  };

  constructor(private readonly options: SimMediaStreamOptions) {
    const { plan } = options;
    this.spread = resolveMediaOptions(options.media).pacing === 'spread';
    this.clipPromise = loadSimClip(options.media);
    this.clipPromise.catch(() => undefined);
    this.stats = {
      callId: options.callId,
      channelId: options.channelId,
      transport: plan.transport,
      remote: { ...plan.remote },
      localPort: 0,
      offeredSsrc: plan.offeredSsrc,
      answeredSsrc: String(plan.ssrc).padStart(10, '0'),
      ssrc: plan.ssrc,
      codec: resolveMediaOptions(options.media).codec,
      state: 'answering',
      packets: 0,
      bytes: 0,
      videoFrames: 0,
      loops: 0,
      droppedPackets: 0,
      sendErrors: 0,
      invitedAt: Date.now(),
    };
  }

  get ended(): boolean {
    return this.stats.state === 'ended';
  }

  snapshot(): SimStreamStats {
    return { ...this.stats, remote: { ...this.stats.remote } };
  }

  /** Opens what the answer announces and returns its port: the UDP socket, the listening socket, or a reserved port. */
  async prepare(): Promise<number> {
    const { transport } = this.options.plan;
    const port = transport === 'udp' ? await this.openUdp() : transport === 'tcp-active' ? await this.listen() : await reservePort(this.options.localHost);
    this.stats.localPort = port;
    if (this.ended) this.closeSockets();
    return port;
  }

  /** The ACK came: send once the clip is ready (and, for TCP, the connection is up). */
  start(): void {
    if (this.ended || this.acked) return;
    this.acked = true;
    this.stats.state = 'sending';
    this.clipPromise.then(
      (clip) => {
        if (this.ended) return;
        this.clip = clip;
        const { transport } = this.options.plan;
        if (transport === 'udp') this.schedule();
        else if (transport === 'tcp-passive') this.connectOut();
        else if (this.tcpConnected) this.schedule();
        else this.waitTimer = setTimeout(() => this.end('no-connection'), CONNECT_WAIT_MS);
      },
      () => this.end('connect-failed'),
    );
  }

  /** Stops sending for good but keeps the stream (and its dialog) up. */
  silence(): void {
    if (this.ended) return;
    this.stats.state = 'silent';
    this.paced = false;
    mediaPacer.remove(this);
  }

  /** Ends the stream and closes its sockets. Idempotent. */
  end(reason: SimStreamEndReason): void {
    if (this.ended) return;
    this.stats.state = 'ended';
    this.stats.endReason = reason;
    this.stats.endedAt = Date.now();
    this.paced = false;
    mediaPacer.remove(this);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.closeSockets();
    this.options.onEnd(this.snapshot());
  }

  sendDue(now: number): void {
    const clip = this.clip;
    if (!clip || !this.paced) return;
    let elapsed = now - this.startAt;
    if (this.options.stopAfterMs !== undefined && elapsed >= this.options.stopAfterMs) {
      this.silence();
      return;
    }
    const batch: TcpBatch | undefined = this.tcp ? { buffers: [], packets: 0, bytes: 0, frames: 0 } : undefined;
    for (;;) {
      const packet = clip.packets[this.index];
      if (!packet) break;
      const due = this.loop * clip.durationMs + packet.atMs + (this.spread ? packet.spreadMs : 0);
      if (due > elapsed) break;
      if (elapsed - due > MAX_BEHIND_MS) {
        this.startAt += elapsed - due;
        elapsed = due;
      }
      this.send(packet, clip, batch);
      if (++this.index === clip.packets.length) {
        this.index = 0;
        this.loop++;
        this.stats.loops++;
      }
    }
    if (batch && batch.packets > 0) this.writeTcp(batch);
  }

  private send(packet: ClipPacket, clip: SimClip, batch: TcpBatch | undefined): void {
    const delta = this.loop * clip.durationTicks;
    let payload = packet.payload;
    if (delta !== 0 && packet.time) {
      payload = Buffer.from(payload);
      shiftPackTime(payload, packet.time, delta);
    }
    const prefix = batch ? 2 : 0;
    const header = Buffer.allocUnsafe(prefix + 12);
    if (batch) header.writeUInt16BE(12 + payload.length, 0);
    writeRtpHeader(header, prefix, {
      marker: packet.marker,
      payloadType: this.options.plan.payloadType,
      sequenceNumber: this.seq,
      timestamp: packet.timestamp + delta,
      ssrc: this.stats.ssrc,
    });
    this.seq = (this.seq + 1) & 0xffff;
    const frames = packet.marker && packet.video ? 1 : 0;
    if (batch) {
      batch.buffers.push(header, payload);
      batch.packets++;
      batch.bytes += 12 + payload.length;
      batch.frames += frames;
      return;
    }
    this.udp?.send([header, payload], this.onUdpSent);
    this.count(1, 12 + payload.length, frames);
  }

  private count(packets: number, bytes: number, frames: number): void {
    this.stats.packets += packets;
    this.stats.bytes += bytes;
    this.stats.videoFrames += frames;
    this.stats.firstPacketAt ??= Date.now();
  }

  private writeTcp(batch: TcpBatch): void {
    const socket = this.tcp;
    if (!socket || socket.destroyed) return;
    if (socket.writableLength > MAX_TCP_QUEUE) {
      this.stats.droppedPackets += batch.packets;
      return;
    }
    socket.write(Buffer.concat(batch.buffers));
    this.count(batch.packets, batch.bytes, batch.frames);
  }

  private schedule(): void {
    if (this.ended || this.paced || this.stats.state !== 'sending') return;
    this.paced = true;
    this.startAt = performance.now();
    mediaPacer.add(this);
  }

  private openUdp(): Promise<number> {
    const socket = createSocket({ type: 'udp4', sendBufferSize: 1 << 20 });
    this.udp = socket;
    socket.on('error', () => {
      this.stats.sendErrors++;
    });
    const { host, port } = this.options.plan.remote;
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.options.localHost, () => {
        const local = socket.address().port;
        socket.connect(port, host, () => {
          socket.off('error', reject);
          resolve(local);
        });
      });
    });
  }

  /** Offer a=setup:active: the platform connects to the port of the answer; the first connection is kept. */
  private listen(): Promise<number> {
    const server = createServer((socket) => {
      if (this.tcp || this.ended) {
        socket.destroy();
        return;
      }
      this.adopt(socket);
      this.stats.remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      server.close();
      if (this.waitTimer) clearTimeout(this.waitTimer);
      if (this.clip) this.schedule();
    });
    this.server = server;
    server.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.localHost, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /** Offer a=setup:passive: the camera connects from the port it announced (any port if that one was taken). */
  private connectOut(withReservedPort = true): void {
    const { host, port } = this.options.plan.remote;
    const socket = connect({
      host,
      port,
      localAddress: this.options.localHost,
      ...(withReservedPort && this.stats.localPort > 0 ? { localPort: this.stats.localPort } : {}),
    });
    this.tcp = socket;
    socket.once('connect', () => {
      this.adopt(socket);
      this.schedule();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (this.tcpConnected || this.ended) return;
      this.tcp = undefined;
      socket.destroy();
      if (withReservedPort && err.code === 'EADDRINUSE') this.connectOut(false);
      else this.end('connect-failed');
    });
  }

  private adopt(socket: TcpSocket): void {
    this.tcp = socket;
    this.tcpConnected = true;
    socket.setNoDelay(true);
    socket.on('error', () => {
      this.stats.sendErrors++;
    });
    socket.on('data', () => undefined); // RTCP or nothing: read and drop so the platform never blocks
    socket.on('close', () => this.end('connection-closed'));
  }

  private closeSockets(): void {
    const { udp, server, tcp } = this;
    this.udp = undefined;
    this.server = undefined;
    this.tcp = undefined;
    if (udp) {
      try {
        udp.close();
      } catch {
        // not bound yet, or already closed
      }
    }
    server?.close();
    tcp?.destroy();
  }
}

/** A free local TCP port for the answer's m= line when the camera will connect out. */
function reservePort(host: string): Promise<number> {
  const probe = createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
