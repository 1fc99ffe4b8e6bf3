import type { Socket } from 'node:net';
import type { OutgoingRtpPacket } from './rtp-sender';
import { INTERLEAVED_HEADER } from './rtcp';
import { closeQuietly, type UdpPortPair } from './udp-ports';

/** Where one track's RTP and RTCP go. */
export interface RtpTransport {
  readonly lower: 'tcp' | 'udp';
  /** The RTP interleaved channel (TCP); packets are built with it. */
  readonly rtpChannel: number;
  /** The Transport header of the SETUP answer, without ';ssrc='. */
  readonly description: string;
  sendRtp(packets: readonly OutgoingRtpPacket[]): void;
  /** `packet` starts with room for the 4-byte interleaved header; the channel byte is set here. */
  sendRtcp(packet: Buffer): void;
  pendingBytes(): number;
  close(): void;
}

/** RTP inside the RTSP connection (RFC 2326 10.12). */
export class InterleavedTransport implements RtpTransport {
  readonly lower = 'tcp';
  readonly description: string;

  constructor(
    private readonly socket: Socket,
    readonly rtpChannel: number,
    private readonly rtcpChannel: number,
    protocol: string,
  ) {
    this.description = `${protocol};unicast;interleaved=${rtpChannel}-${rtcpChannel}`;
  }

  sendRtp(packets: readonly OutgoingRtpPacket[]): void {
    if (!this.socket.writable || packets.length === 0) return;
    // Corked writes leave as one writev: headers and frame views without a copy into one buffer.
    this.socket.cork();
    for (const p of packets) {
      this.socket.write(p.head);
      if (p.body.length > 0) this.socket.write(p.body);
    }
    this.socket.uncork();
  }

  sendRtcp(packet: Buffer): void {
    if (!this.socket.writable) return;
    packet[1] = this.rtcpChannel;
    this.socket.write(packet);
  }

  pendingBytes(): number {
    return this.socket.writableLength;
  }

  close(): void {
    // The socket belongs to the RTSP connection.
  }
}

/** RTP and RTCP over UDP to the client's port pair, from a pair of our own. */
export class UdpTransport implements RtpTransport {
  readonly lower = 'udp';
  readonly rtpChannel = 0;
  readonly description: string;
  private closed = false;

  constructor(
    private readonly pair: UdpPortPair,
    private readonly address: string,
    private readonly clientPorts: [number, number],
    protocol: string,
    onPeerPacket: () => void,
  ) {
    this.description = `${protocol};unicast;client_port=${clientPorts[0]}-${clientPorts[1]};server_port=${pair.ports[0]}-${pair.ports[1]}`;
    // Send errors (ICMP port unreachable once the client is gone) are not fatal; the session timeout ends it.
    pair.rtp.on('error', () => undefined);
    pair.rtcp.on('error', () => undefined);
    // Receiver reports (and the NAT-opening packets some clients send) show the client is alive.
    pair.rtcp.on('message', onPeerPacket);
    pair.rtp.on('message', onPeerPacket);
  }

  sendRtp(packets: readonly OutgoingRtpPacket[]): void {
    if (this.closed) return;
    for (const p of packets) this.pair.rtp.send([p.head.subarray(INTERLEAVED_HEADER), p.body], this.clientPorts[0], this.address);
  }

  sendRtcp(packet: Buffer): void {
    if (this.closed) return;
    this.pair.rtcp.send(packet.subarray(INTERLEAVED_HEADER), this.clientPorts[1], this.address);
  }

  /** What the kernel has not taken yet: usually nothing, but it grows if the host cannot keep up. */
  pendingBytes(): number {
    return this.closed ? 0 : this.pair.rtp.getSendQueueSize();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeQuietly(this.pair.rtp);
    closeQuietly(this.pair.rtcp);
  }
}
