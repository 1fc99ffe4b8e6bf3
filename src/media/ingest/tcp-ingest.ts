import type { Socket } from 'node:net';
import { RtpTcpFramer } from '../rtp/tcp-framer';
import type { RtpTcpHandler } from './native-rtp-recv';
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
    return stats;
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
    ...this.relayRecords,
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
