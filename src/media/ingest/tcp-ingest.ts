import type { Socket } from 'node:net';
import { RtpTcpFramer } from '../rtp/tcp-framer';
import type { NativeFlvRelay } from './native-flv-relay';
import type { NativeRtpSocket, NativeSocketStats, RtpTcpHandler } from './native-rtp-recv';
import { RtpIngest } from './rtp-ingest';
import type { RtpIngestOptions, RtpIngestStats } from './types';

/**
 * RTP over one TCP connection at a time, RFC 4571 framed. The framer hands out views into the
 * chunks the socket read (each chunk is a Buffer of its own, never reused by net) or, for a
 * packet split across reads, a fresh concatenation, so the demuxer may keep them.
 *
 * TCP does not reorder, so a gap (bytes the framer had to skip) is declared lost at once.
 */
export abstract class TcpRtpIngest extends RtpIngest {
  protected peer: Socket | undefined;
  private framer: RtpTcpFramer | undefined;
  /** The framer of the connection native/rtp-recv reads, for what it hands over raw. */
  protected nativeFramer: RtpTcpFramer | undefined;
  /** The native FLV relay of the stream (options.nativeFlvRelay), and the socket it reads. */
  private nativeRelay: NativeFlvRelay | undefined;
  private relaySocket: NativeRtpSocket | undefined;
  /** The reader's counters of the relay's socket as they were when it closed. */
  private relayedAtClose: NativeSocketStats | undefined;

  constructor(options: RtpIngestOptions) {
    super(options, 0);
  }

  override get stats(): RtpIngestStats {
    const stats = super.stats;
    const framing = this.framer?.stats;
    if (framing) {
      stats.framingBytesDropped += framing.bytesDropped;
      stats.framingResyncs += framing.resyncs;
    }
    this.addRelayedPackets(stats);
    return stats;
  }

  /**
   * Packets the reader thread read while JavaScript was not fed (the relay served alone): they
   * count as received. The thread counts every packet of the socket, so its count stands when
   * it is ahead; bytes are the connection's less the 2-byte framing of each packet.
   */
  private addRelayedPackets(stats: RtpIngestStats): void {
    const native = this.relaySocket?.stats() ?? this.relayedAtClose;
    if (native === undefined || native.datagrams <= stats.packets) return;
    stats.packets = native.datagrams;
    stats.bytes = Math.max(stats.bytes, native.bytes - 2 * native.datagrams);
    if (native.msSincePacket >= 0) stats.lastPacketAt = Math.max(stats.lastPacketAt, Date.now() - native.msSincePacket);
  }

  /** The stream's native FLV relay, when native/rtp-recv reads it and the options ask for one. */
  get relay(): NativeFlvRelay | undefined {
    return this.nativeRelay;
  }

  /** While the relay stands in for JavaScript, packets reach only the reader thread: ask it. */
  override get lastPacketAt(): number {
    const relay = this.nativeRelay;
    if (relay === undefined || relay.isFed || this.relaySocket === undefined) return super.lastPacketAt;
    const ms = this.relaySocket.msSincePacket();
    return ms < 0 ? super.lastPacketAt : Math.max(super.lastPacketAt, Date.now() - ms);
  }

  /** Starts the relay on a native socket that has not read anything yet; a failure leaves the stream to JavaScript. */
  protected startRelay(socket: NativeRtpSocket): void {
    const limits = this.options.nativeFlvRelay;
    if (limits === undefined) return;
    try {
      this.nativeRelay = socket.startRelay(limits);
      this.relaySocket = socket;
    } catch (err) {
      this.log.warn({ err }, 'native FLV relay not started; JavaScript serves the stream');
    }
  }

  /** The relay's socket is about to close (call it first): its viewers go with it, its counts stay. */
  protected endRelay(): void {
    this.relayedAtClose = this.relaySocket?.stats() ?? this.relayedAtClose;
    this.nativeRelay?.close();
    this.relaySocket = undefined;
  }

  /** A new connection from `remote` is the stream's: its own framer, sequence and (under 'first') SSRC. */
  protected beginConnection(remote: string): RtpTcpFramer {
    this.retireFramer();
    if (this.counters.packets > 0) this.restartSequence();
    // A new connection is a new sending session: under 'first' its own first SSRC counts.
    if ((this.options.ssrcPolicy ?? 'first') === 'first') this.gate.reset();
    const framer = new RtpTcpFramer({ onPacket: this.onFramedPacket, onRtcp: this.onRtcp });
    this.framer = framer;
    this.remote = remote;
    this.isConnected = true;
    this.counters.connections++;
    this.log.info({ remote: this.remote }, 'RTP over TCP connected');
    return framer;
  }

  /** The live connection ended (the peer closed it, or it was reset). */
  protected connectionEnded(): void {
    this.isConnected = false;
    if (!this.closed) this.log.info({ remote: this.remote }, 'RTP over TCP connection closed by the peer');
  }

  /** Takes `socket` as the stream's connection. */
  protected adopt(socket: Socket): void {
    const framer = this.beginConnection(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`);
    this.peer = socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.closed && this.framer === framer) framer.push(chunk);
    });
    socket.resume(); // it may come paused (TCP active)
    socket.on('error', (err) => this.log.debug({ err, remote: this.remote }, 'RTP TCP connection error'));
    socket.once('close', () => {
      if (this.peer !== socket) return;
      this.peer = undefined;
      this.connectionEnded();
    });
  }

  protected destroyPeer(): Promise<void> {
    const socket = this.peer;
    this.peer = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private retireFramer(): void {
    const framer = this.framer;
    if (!framer) return;
    this.counters.framingBytesDropped += framer.stats.bytesDropped;
    this.counters.framingResyncs += framer.stats.resyncs;
    this.framer = undefined;
  }

  /**
   * What native/rtp-recv hands over of a connection it reads: runs and datagrams while the framing
   * is plain, raw bytes for the JS framer after that (ADR 0022).
   */
  protected readonly nativeConnection: RtpTcpHandler = {
    accepted: (address, port) => {
      if (!this.closed) this.nativeFramer = this.beginConnection(`${address}:${port}`);
    },
    run: (run) => {
      if (!this.closed && this.admitRun(run)) this.acceptRun(run, run.datagramBytes);
    },
    datagram: (packet) => {
      if (!this.closed) this.onFramedPacket(packet);
    },
    raw: (ssrc) => {
      if (ssrc !== undefined) this.nativeFramer?.assumeSsrc(ssrc);
    },
    data: (chunk) => {
      if (!this.closed) this.nativeFramer?.push(chunk);
    },
    closed: () => {
      this.nativeFramer = undefined;
      this.connectionEnded();
      this.nativeConnectionClosed();
    },
    refused: (address, port) => {
      this.counters.connectionsRefused++;
      this.log.warn({ from: `${address}:${port}`, live: this.remote }, 'refusing a second RTP connection while one is live');
    },
    relayState: (state, reason) => {
      if (state === 'bailed') this.log.info({ reason }, 'native FLV relay left the stream to JavaScript');
      else if (state === 'native') this.log.debug('native FLV relay serves the stream');
      this.nativeRelay?.onState(state, reason);
    },
    relayParams: (sps, pps) => this.nativeRelay?.onParams(sps, pps),
    relayViewerEnded: (id, reason) => this.nativeRelay?.onViewerEnded(id, reason),
  };

  /** The connection native/rtp-recv read has ended (a listener stays open for the next one). */
  protected nativeConnectionClosed(): void {}

  /** One framed packet (RTP, or RTCP that admit() counts). */
  protected readonly onFramedPacket = (buf: Buffer): void => {
    const packet = this.admit(buf);
    if (packet !== null) this.accept(packet, buf.length);
  };

  private readonly onRtcp = (): void => {
    this.counters.rtcpPackets++;
  };
}
