import type { Logger } from '../../logger';
import type { SipMessage, SipParseError, SipPeer } from '../message/types';

/** A message received by a transport, with the peer it came from. */
export interface InboundSipMessage {
  message: SipMessage;
  peer: SipPeer;
  /** Bytes on the wire, for logging and metrics. */
  size: number;
}

/**
 * The transport layer: UDP socket and TCP listener (plus outgoing TCP connections),
 * framed per RFC 3261 (one datagram = one message; TCP framed by Content-Length).
 */
export interface SipTransport {
  /** Sends to a peer. For TCP, reuses the connection the peer opened to us, else connects. */
  send(message: SipMessage, peer: SipPeer): Promise<void>;
  /** Sends an already serialized message (retransmissions repeat the same bytes). */
  sendBytes(bytes: Buffer, peer: SipPeer): Promise<void>;
  /** Local address used in Via/Contact for a given transport. */
  localAddress(transport: SipPeer['transport']): { host: string; port: number };
  close(): Promise<void>;
}

/** A keepalive the lane answered: the device and when. */
export interface LaneKeepalive {
  deviceId: string;
  at: number;
}

/**
 * Plain keepalives answered below the JS stack (native/sip-udp, ADR 0021). The stack admits a
 * device once it has handled one of its keepalives itself; the lane then answers the device's
 * keepalives from that address until `expiresAt`, and the stack collects them with takeSeen()
 * to record them as it records its own.
 */
export interface KeepaliveLane {
  admit(deviceId: string, peer: SipPeer, expiresAt: number): void;
  revoke(deviceId: string): void;
  takeSeen(): LaneKeepalive[];
  stats(): { answered: number; forwarded: number; dropped: number; admitted: number };
}

export interface SipTransportOptions {
  /** Address to bind (e.g. 0.0.0.0, 127.0.0.1, ::). */
  host: string;
  /** Port for both UDP and TCP; 0 picks one free for both. */
  port: number;
  /** Listen on UDP (default true). */
  udp?: boolean;
  /** Listen on TCP (default true). */
  tcp?: boolean;
  /** Host to put in Via/Contact when `host` is a wildcard or behind NAT (default: `host`). */
  advertisedHost?: string;
  /** Largest message accepted, UDP or TCP (default 65535). */
  maxMessageSize?: number;
  /** Idle TCP connections are closed after this long (default 10 minutes). */
  tcpIdleTimeoutMs?: number;
  /** Outgoing TCP connects give up after this long (default 10 s). */
  tcpConnectTimeoutMs?: number;
  /** A TCP peer that does not read is dropped once this much output is queued (default 4 MiB). */
  tcpMaxQueuedBytes?: number;
  /** Requested UDP receive buffer (default 4 MiB; the kernel may grant less). */
  udpReceiveBufferBytes?: number;
  /**
   * Read UDP with native/sip-udp and answer plain keepalives there (default false here; the
   * server turns it on by config). Falls back to Node's socket, with a log line, when the addon
   * is not built.
   */
  nativeUdp?: boolean;
  /** User-Agent of the keepalive lane's answers (the SIP endpoint's own). */
  userAgent?: string;
  logger: Logger;
  /** Asked for every UDP datagram before it is parsed; true drops it unread (overload shedding). */
  shedDatagram?: (datagram: Buffer) => boolean;
  onMessage: (inbound: InboundSipMessage) => void;
  onParseError?: (error: SipParseError, peer: SipPeer) => void;
}
