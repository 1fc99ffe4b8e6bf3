import type { SipMessage, SipPeer } from '../message/types';

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
  /** Local address used in Via/Contact for a given transport. */
  localAddress(transport: SipPeer['transport']): { host: string; port: number };
  close(): Promise<void>;
}
