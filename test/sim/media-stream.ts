/**
 * One live stream of a simulated camera: the looped clip as RTP (PT from the offer, 90 kHz,
 * marker on the last packet of each PS pack) over UDP, over a TCP connection the camera opens
 * (offer a=setup:passive) or over one the platform opens to the camera (a=setup:active), RFC 4571
 * framed. The shared pacer calls sendDue; per packet only the RTP header is written.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { writeRtpHeader } from '../../src/media/rtp/packet';
import { PTS_WRAP } from '../../src/media/ps/timestamp';
import { loadSimClip, resolveMediaOptions, SIM_FPS, type ClipPacket, type SimClip } from './media-clip';
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
  /** History: the whole range was sent (state 'complete'); the dialog stays up. */
  onComplete?(stats: SimStreamStats): void;
}

/** Playback/Download pace limits (MANSRTSP Scale, a=downloadspeed). */
export const MIN_SCALE = 0.25;
export const MAX_SCALE = 8;
const FRAME_MS = 1000 / SIM_FPS;
const FRAME_TICKS = 90000 / SIM_FPS;

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
  /** Media time (ms on the looped clip's timeline, which is also the offset in a history range) the pacer has reached. */
  private clockMs = 0;
  private lastTickAt = 0;
  private wallStartAt: number | undefined;
  /** Added to every timestamp after a seek so that PTS/SCR/RTP time keep growing. */
  private tsShift = 0;
  private lastTs: number | undefined;
  /** History: ms of media in the range. */
  private readonly limitMs: number | undefined;
  private index = 0;
  private loop = 0;
  private seq = Math.floor(Math.random() * 65536);
  private waitTimer: NodeJS.Timeout | undefined;
  private readonly onUdpSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
  };

  constructor(private readonly options: SimMediaStreamOptions) {
    const { plan } = options;
    const history = plan.history;
    this.limitMs = history ? (history.end - history.start) * 1000 : undefined;
    this.spread = resolveMediaOptions(options.media).pacing === 'spread';
    this.clipPromise = loadSimClip(options.media);
    this.clipPromise.then(
      (clip) => {
        this.clip ??= clip;
      },
      () => undefined,
    );
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
      session: history?.session ?? 'play',
      rangeStart: history?.start ?? 0,
      rangeEnd: history?.end ?? 0,
      mediaSentSeconds: 0,
      scale: history?.session === 'download' ? clampScale(history.downloadSpeed) : 1,
      paused: false,
      infoCommands: [],
      mediaStatusSent: false,
    };
  }

  get ended(): boolean {
    return this.stats.state === 'ended';
  }

  snapshot(): SimStreamStats {
    return { ...this.stats, remote: { ...this.stats.remote }, infoCommands: [...this.stats.infoCommands] };
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

  /** MANSRTSP PAUSE: stop sending, keep the position. */
  pause(): void {
    if (this.ended) return;
    this.stats.paused = true;
    this.paced = false;
    mediaPacer.remove(this);
  }

  /**
   * MANSRTSP PLAY: resume (from the pause position, or from `positionSec` in the range, snapped back to its
   * GOP's key frame) at `scale` when given. A seek after the range was complete sends again from there.
   */
  play(positionSec?: number, scale?: number): void {
    if (this.ended || this.stats.state === 'silent') return;
    if (scale !== undefined) this.stats.scale = clampScale(scale);
    if (positionSec !== undefined) this.seek(positionSec * 1000);
    this.stats.paused = false;
    if (this.clipReady()) this.schedule();
  }

  /** Scale alone: the pace changes, sending goes on (or stays paused). */
  setScale(scale: number): void {
    this.stats.scale = clampScale(scale);
  }

  /** Marks the MediaStatus notification as sent. */
  markMediaStatusSent(): void {
    this.stats.mediaStatusSent = true;
  }

  private seek(ms: number): void {
    const clip = this.clip;
    if (!clip) return;
    const gopMs = clip.options.gopFrames * FRAME_MS;
    const limit = this.limitMs ?? Infinity;
    const target = Math.max(0, Math.min(Math.floor(ms / gopMs) * gopMs, limit));
    this.loop = Math.floor(target / clip.durationMs);
    const within = target - this.loop * clip.durationMs;
    const index = clip.packets.findIndex((p) => p.atMs >= within);
    if (index < 0) {
      this.index = 0;
      this.loop++;
    } else {
      this.index = index;
    }
    this.clockMs = target;
    this.stats.mediaSentSeconds = target / 1000;
    const next = clip.packets[this.index];
    if (next && this.lastTs !== undefined) this.tsShift = this.lastTs + FRAME_TICKS - (next.timestamp + this.loop * clip.durationTicks);
    if (this.stats.state === 'complete' && target < limit) this.stats.state = 'sending';
  }

  /** Media may flow: the ACK came, the clip is loaded and, for TCP, the connection is up. */
  private clipReady(): boolean {
    if (!this.clip || !this.acked) return false;
    return this.options.plan.transport === 'udp' || this.tcpConnected;
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
    if (this.options.stopAfterMs !== undefined && now - (this.wallStartAt ?? now) >= this.options.stopAfterMs) {
      this.silence();
      return;
    }
    const rate = this.stats.scale;
    this.clockMs += (now - this.lastTickAt) * rate;
    this.lastTickAt = now;
    const batch: TcpBatch | undefined = this.tcp ? { buffers: [], packets: 0, bytes: 0, frames: 0 } : undefined;
    let complete = false;
    for (;;) {
      const packet = clip.packets[this.index];
      if (!packet) break;
      const mediaAt = this.loop * clip.durationMs + packet.atMs;
      if (this.limitMs !== undefined && mediaAt >= this.limitMs) {
        complete = true;
        break;
      }
      const due = mediaAt + (this.spread ? packet.spreadMs : 0);
      if (due > this.clockMs) break;
      if (this.clockMs - due > MAX_BEHIND_MS * Math.max(1, rate)) this.clockMs = due;
      this.send(packet, clip, batch);
      this.stats.mediaSentSeconds = Math.max(this.stats.mediaSentSeconds, (mediaAt + FRAME_MS) / 1000);
      if (++this.index === clip.packets.length) {
        this.index = 0;
        this.loop++;
        this.stats.loops++;
      }
    }
    if (batch && batch.packets > 0) this.writeTcp(batch);
    if (complete) this.complete();
  }

  private complete(): void {
    this.stats.state = 'complete';
    this.stats.mediaSentSeconds = (this.limitMs ?? 0) / 1000;
    this.paced = false;
    mediaPacer.remove(this);
    this.options.onComplete?.(this.snapshot());
  }

  private send(packet: ClipPacket, clip: SimClip, batch: TcpBatch | undefined): void {
    const raw = this.loop * clip.durationTicks + this.tsShift;
    this.lastTs = packet.timestamp + raw;
    const delta = ((raw % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
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
    if (this.ended || this.paced || this.stats.paused || this.stats.state !== 'sending') return;
    this.paced = true;
    this.lastTickAt = performance.now();
    this.wallStartAt ??= this.lastTickAt;
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

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}
