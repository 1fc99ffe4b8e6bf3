import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errnoOf, RtpIngestError } from './errors';
import type { NativeRtpSocket, RtpBatchHandler, RtpRun } from './native-rtp-recv';
import { RtpIngest } from './rtp-ingest';
import type { RtpIngestOptions, RtpIngestStats } from './types';

const DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024;
const DEFAULT_REORDER_DELAY_MS = 100;

/**
 * RTP over UDP. The first source address (ip:port) to send an accepted packet is the stream's
 * sender; others are counted as `sourceMismatches` (unless the policy is 'any'). When the SSRC
 * switches (the answered SSRC shows up) the sender is taken anew from that packet.
 *
 * With `nativeRtp` the socket is read by native/rtp-recv's thread, which hands over a batch of
 * datagrams every few milliseconds instead of waking JavaScript for each (ADR 0022); without the
 * addon built, Node's dgram reads it (logged once).
 *
 * Each datagram arrives in a Buffer of its own (dgram allocates one per message, sized to it) or
 * as a view into its batch, never reused, so payload views can be kept by the demuxer until
 * their frame is emitted.
 */
export class UdpRtpIngest extends RtpIngest {
  private socket: Socket | undefined;
  private native: NativeRtpSocket | undefined;
  private starting: Promise<void> | undefined;
  private readonly lockSource: boolean;
  private sourceAddress = '';
  private sourcePort = -1;
  private warnedSource = false;

  constructor(options: RtpIngestOptions) {
    super(options, options.reorderMaxDelayMs ?? DEFAULT_REORDER_DELAY_MS);
    this.lockSource = (options.ssrcPolicy ?? 'first') !== 'any';
  }

  get localPort(): number {
    if (this.native) return this.native.port;
    try {
      return this.socket?.address().port ?? 0;
    } catch {
      return 0; // not bound (yet, or any more)
    }
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RtpIngestError('closed', `stream ${this.streamId}: the receiver is closed`));
    if (this.starting) return Promise.reject(new RtpIngestError('wrong-state', `stream ${this.streamId}: start() was already called`));
    this.starting = this.bind();
    return this.starting;
  }

  override get stats(): RtpIngestStats {
    const stats = super.stats;
    stats.reader = this.native ? 'native' : 'node';
    if (this.native) stats.readerDropped = this.native.dropped;
    return stats;
  }

  private async bind(): Promise<void> {
    if (this.options.nativeRtp === true && this.bindNative()) return;
    const { host, port } = this.options;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port, address: host, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      closeQuietly(socket);
      const errno = errnoOf(err);
      throw new RtpIngestError('bind-failed', `stream ${this.streamId}: cannot bind UDP ${host}:${port} (${errno})`, errno);
    }
    if (this.closed) {
      closeQuietly(socket);
      throw new RtpIngestError('closed', `stream ${this.streamId}: closed while binding`);
    }
    this.socket = socket;
    socket.on('error', (err) => this.log.warn({ err }, 'UDP RTP socket error'));
    socket.on('message', this.onNodeMessage);
    this.applyReceiveBuffer(socket);
    this.log.info({ host, port: this.localPort }, 'receiving RTP over UDP');
  }

  /** True when native/rtp-recv took the socket; false when the addon is not there (Node reads then). */
  private bindNative(): boolean {
    const { host, port } = this.options;
    const wanted = this.options.udpReceiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER;
    this.native = this.openNative(`bind UDP ${host}:${port}`, (reader) => reader.open(host, port, wanted, this.batchHandler));
    if (!this.native) return false;
    this.startRelay(this.native);
    if (wanted > 0 && this.native.receiveBufferBytes < wanted) {
      this.log.warn({ wanted, granted: this.native.receiveBufferBytes }, 'the OS granted a smaller UDP receive buffer than asked for; raise net.core.rmem_max to avoid loss in bursts');
    }
    this.log.info({ host, port: this.localPort, reader: 'native' }, 'receiving RTP over UDP');
    return true;
  }

  private applyReceiveBuffer(socket: Socket): void {
    const wanted = this.options.udpReceiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER;
    if (wanted <= 0) return;
    try {
      socket.setRecvBufferSize(wanted);
    } catch (err) {
      this.log.warn({ err, wanted }, 'cannot set the UDP receive buffer size');
      return;
    }
    // Linux reports twice what it grants (the other half is its bookkeeping) and silently caps
    // the request at net.core.rmem_max, so a report below the request means it was capped.
    const granted = socket.getRecvBufferSize();
    if (granted < wanted) {
      this.log.warn({ wanted, granted }, 'the OS granted a smaller UDP receive buffer than asked for; raise net.core.rmem_max to avoid loss in bursts');
    }
  }

  private readonly onNodeMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.onMessage(msg, rinfo.address, rinfo.port);
  };

  private readonly onMessage = (msg: Buffer, address: string, port: number): void => {
    if (this.closed) return;
    const packet = this.admit(msg);
    if (packet === null || !this.fromSender(address, port, packet.ssrc, 1)) return;
    this.accept(packet, msg.length);
  };

  /** The native reader's batches: datagrams as they came, and runs of a frame's packets. */
  private readonly batchHandler: RtpBatchHandler = {
    datagram: this.onMessage,
    run: (run: RtpRun, address: string, port: number): void => {
      if (this.closed || !this.admitRun(run) || !this.fromSender(address, port, run.ssrc, run.count)) return;
      this.acceptRun(run, run.datagramBytes);
    },
    ...this.relayRecords,
  };

  /** False (counting `count` packets) when they come from another address than the stream's sender. */
  private fromSender(address: string, port: number, ssrc: number, count: number): boolean {
    if (this.lockSource) {
      if (this.switched || this.sourcePort < 0) {
        this.sourceAddress = address;
        this.sourcePort = port;
        this.remote = `${address}:${port}`;
        this.isConnected = true;
        this.log.info({ remote: this.remote, ssrc }, 'RTP sender locked');
      } else if (port !== this.sourcePort || address !== this.sourceAddress) {
        this.counters.sourceMismatches += count;
        if (!this.warnedSource) {
          this.warnedSource = true;
          this.log.warn({ from: `${address}:${port}`, sender: this.remote }, 'dropping RTP from a second source address (logged once)');
        }
        return false;
      }
    } else if (!this.isConnected) {
      this.remote = `${address}:${port}`;
      this.isConnected = true;
    }
    return true;
  }

  protected async closeSockets(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.endRelay();
    this.native?.close();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.off('message', this.onNodeMessage);
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // never bound
  }
}
