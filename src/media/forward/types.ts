/**
 * How a forwarded stream leaves us, from our side: `udp` sends datagrams to the receiver's
 * address; `tcp-active` connects to the receiver's listener; `tcp-passive` listens and the
 * receiver connects (RFC 4571 framing on both TCP kinds).
 */
export type ForwardTransport = 'udp' | 'tcp-active' | 'tcp-passive';

export interface OpenForwardRequest {
  /** Unique per node: the owner's name for this forwarding (e.g. the cascade session). */
  forwardId: string;
  /** The open stream (live or playback) whose frames are sent. */
  streamId: string;
  transport: ForwardTransport;
  /** The receiver's address and port (udp, tcp-active); for tcp-passive only logged. */
  host: string;
  port: number;
  /** Our port: the UDP source port, or the TCP port we listen on (tcp-passive). 0 picks a free one; tcp-active ignores it. */
  localPort: number;
  /** RTP SSRC of every packet (the receiver's y=). */
  ssrc: number;
  /** Default 96 (PS, GB/T 28181 Annex C). */
  payloadType?: number;
  /** tcp-active: how long to keep trying to connect; tcp-passive: how long to wait for the receiver. Default 10 s. */
  connectTimeoutMs?: number;
}

export type ForwardState = 'waiting' | 'sending' | 'ended';

/** Why a forwarding ended on its own (stopForward ends it without an event). */
export type ForwardEndReason = 'stream-ended' | 'too-slow' | 'disconnected' | 'connect-failed' | 'node-closing';

export interface ForwardInfo {
  forwardId: string;
  streamId: string;
  transport: ForwardTransport;
  state: ForwardState;
  /** Our bound/listening port (0 for tcp-active before it connects). */
  localPort: number;
  /** The receiver, `ip:port`, once known (TCP passive: once it connected). */
  remote: string | null;
  ssrc: number;
  openedAt: number;
  /** ms since epoch of the first packet sent, or null. */
  firstPacketAt: number | null;
  frames: number;
  packets: number;
  /** RTP bytes handed to the socket (TCP framing included). */
  bytes: number;
  /** UDP sends the kernel refused (receiver not listening yet: ICMP unreachable). */
  sendErrors: number;
}
