import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../logger';
import type { PackedFrame } from './ps-rtp-packer';
import type { ForwardSender, SenderCloseReason } from './sender';

/**
 * RTP over UDP from a bound local port (the one our SDP answer names) to the receiver. The socket
 * is connected to the receiver, so each send skips the address lookup, and datagrams from anyone
 * else (stray RTCP) are not delivered to it.
 */
export class UdpForwardSender implements ForwardSender {
  readonly ready = true;
  sendErrors = 0;
  private socket: Socket | null = null;
  private bound = 0;
  private closed = false;

  constructor(
    private readonly bindHost: string,
    private readonly requestedPort: number,
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
  ) {}

  get remote(): string {
    return `${this.host}:${this.port}`;
  }

  get localPort(): number {
    return this.bound;
  }

  async open(): Promise<number> {
    const v6 = isIPv6(this.host);
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', sendBufferSize: 4 << 20 });
    this.socket = socket;
    socket.on('error', (err) => {
      this.sendErrors++;
      this.log.debug({ err }, 'forward UDP socket error');
    });
    socket.on('message', () => undefined);
    const bindHost = sameFamily(this.bindHost, v6) ? this.bindHost : v6 ? '::' : '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: bindHost, port: this.requestedPort, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.bound = socket.address().port;
    return this.bound;
  }

  begin(onReady: () => void, _onClosed: (reason: SenderCloseReason) => void): void {
    if (!this.closed) onReady();
  }

  send(frame: PackedFrame): void {
    const socket = this.socket;
    if (socket === null || this.closed) return;
    const { data, stride } = frame;
    for (let at = 0; at < data.length; at += stride) socket.send(data.subarray(at, Math.min(data.length, at + stride)), this.onSent);
  }

  pendingBytes(): number {
    const socket = this.socket;
    if (socket === null || this.closed) return 0;
    try {
      return socket.getSendQueueSize();
    } catch {
      return 0;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close();
    } catch {
      // not bound yet
    }
  }

  /** One shared callback: a refused datagram (ICMP unreachable while the receiver is not up yet) is counted, not fatal. */
  private readonly onSent = (err: Error | null): void => {
    if (err) this.sendErrors++;
  };
}

function sameFamily(host: string, v6: boolean): boolean {
  return isIPv6(host) === v6;
}
