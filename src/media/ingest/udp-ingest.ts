import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errnoOf, RtpIngestError } from './errors';
import { RtpIngest } from './rtp-ingest';
import type { RtpIngestOptions } from './types';

const DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024;
const DEFAULT_REORDER_DELAY_MS = 100;

/**
 * RTP over UDP. The first source address (ip:port) to send an accepted packet is the stream's
 * sender; others are counted as `sourceMismatches` (unless the policy is 'any'). When the SSRC
 * switches (the answered SSRC shows up) the sender is taken anew from that packet.
 *
 * Each datagram arrives in a Buffer of its own (dgram allocates one per message, sized to it),
 * so payload views can be kept by the demuxer until their frame is emitted.
 */
export class UdpRtpIngest extends RtpIngest {
  private socket: Socket | undefined;
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

  private async bind(): Promise<void> {
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
    socket.on('message', this.onMessage);
    this.applyReceiveBuffer(socket);
    this.log.info({ host, port: this.localPort }, 'receiving RTP over UDP');
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

  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    const packet = this.admit(msg);
    if (packet === null) return;
    if (this.lockSource) {
      if (this.switched || this.sourcePort < 0) {
        this.sourceAddress = rinfo.address;
        this.sourcePort = rinfo.port;
        this.remote = `${rinfo.address}:${rinfo.port}`;
        this.isConnected = true;
        this.log.info({ remote: this.remote, ssrc: packet.ssrc }, 'RTP sender locked');
      } else if (rinfo.port !== this.sourcePort || rinfo.address !== this.sourceAddress) {
        this.counters.sourceMismatches++;
        if (!this.warnedSource) {
          this.warnedSource = true;
          this.log.warn({ from: `${rinfo.address}:${rinfo.port}`, sender: this.remote }, 'dropping RTP from a second source address (logged once)');
        }
        return;
      }
    } else if (!this.isConnected) {
      this.remote = `${rinfo.address}:${rinfo.port}`;
      this.isConnected = true;
    }
    this.accept(packet, msg.length);
  };

  protected async closeSockets(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.off('message', this.onMessage);
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
