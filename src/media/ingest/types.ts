import type { RelayLimits } from './native-rtp-recv';
import type { Logger } from '../../logger';
import type { RtpPacket } from '../rtp/packet';

/** How the camera's RTP reaches us (GB/T 28181 SDP `m=video ... RTP/AVP` or `TCP/RTP/AVP` with `a=setup:`). */
export type RtpTransport = 'udp' | 'tcp-passive' | 'tcp-active';

/**
 * Which SSRCs count as the stream.
 * - `first`: the first SSRC seen on the port (on TCP: on the connection); others are dropped and
 *   counted. When it differs from the expected one (devices answer or send another SSRC than
 *   offered) that is logged once. Packets of the expected SSRC take over when they arrive, and so
 *   does any SSRC once the locked one has been silent for `ssrcLockTimeoutMs`.
 * - `expected`: only `expectedSsrc` (from the SDP answer); nothing is accepted until one is known.
 * - `any`: every SSRC and every source address; a change of SSRC restarts sequence tracking.
 */
export type SsrcPolicy = 'first' | 'expected' | 'any';

/** RTP packets of the stream, in sequence order. `payload` is a view into the received bytes. */
export type RtpPayloadHandler = (packet: RtpPacket) => void;

/**
 * Several packets of the stream at once, in sequence and of one timestamp, payloads back to back
 * (native/rtp-recv's runs): what `RtpPayloadHandler` would get packet by packet, where only the
 * last may carry the marker.
 */
export type RtpPayloadRunHandler = (payload: Buffer, timestamp: number, marker: boolean) => void;

/**
 * Called just before the next payload when the sequence broke: `lost` packets never arrived, or
 * (with `lost` 0) another SSRC became the stream. Whatever was being assembled is incomplete.
 */
export type RtpDiscontinuityHandler = (lost: number) => void;

export interface RtpIngestOptions {
  /** For logs; the stream name (channelId, + session kind for playback). */
  streamId: string;
  transport: RtpTransport;
  /** Address to bind (udp, tcp-passive) or to connect from (tcp-active; '0.0.0.0' / '::' = any). */
  host: string;
  /** udp / tcp-passive: the port to bind (0 = any free one). tcp-active: 0 or the local port to connect from. */
  port: number;
  /** The SSRC offered or answered in SDP `y=`, as a number. */
  expectedSsrc?: number;
  /** Default 'first'. */
  ssrcPolicy?: SsrcPolicy;
  /** 'first': once the locked SSRC has been silent this long, another SSRC may take over. Default 1000 ms. */
  ssrcLockTimeoutMs?: number;
  /** Packets held back waiting for a missing one (rounded up to a power of two). Default 32. */
  reorderWindow?: number;
  /** How long a gap may hold UDP packets back before they count as lost. Default 100 ms. TCP: none. */
  reorderMaxDelayMs?: number;
  /** UDP and TCP passive: read with native/rtp-recv's thread in batches (ADR 0022) when it is built. Default false. */
  nativeRtp?: boolean;
  /** How long that thread gathers packets between two batches (the first stream's value counts). Default 20 ms. */
  nativeBatchMs?: number;
  /**
   * TCP read by native/rtp-recv: an FLV relay on the reader thread serves HTTP-FLV viewers of a
   * plain H.264 stream without JavaScript (ADR 0024), with these limits. Default: none.
   */
  nativeFlvRelay?: RelayLimits;
  /** SO_RCVBUF for UDP. Default 4 MiB; the kernel caps it at net.core.rmem_max (logged). */
  udpReceiveBufferBytes?: number;
  /** tcp-active: total time connect() keeps trying (cameras open their listener late). Default 3000 ms. */
  connectTimeoutMs?: number;
  /** tcp-active: pause between refused attempts. Default 200 ms. */
  connectRetryDelayMs?: number;
  logger: Logger;
  onPayload?: RtpPayloadHandler;
  /** Takes in-order runs whole; without it they reach `onPayload` packet by packet. */
  onPayloadRun?: RtpPayloadRunHandler;
  onDiscontinuity?: RtpDiscontinuityHandler;
}

/**
 * Counters since start. Every UDP datagram lands in exactly one of `packets`, `rtcpPackets`,
 * `badPackets`, `ssrcMismatches`, `sourceMismatches`; over TCP, bytes that do not frame as
 * RTP/RTCP are in `framingBytesDropped` instead.
 */
export interface RtpIngestStats {
  /** RTP packets accepted as the stream's (before reordering), and their bytes with headers. */
  packets: number;
  bytes: number;
  lost: number;
  reordered: number;
  duplicates: number;
  /** Arrived after their gap had been declared lost. */
  late: number;
  /** Dropped for carrying an SSRC that is not the stream's. */
  ssrcMismatches: number;
  /** UDP: dropped for coming from another address than the stream's sender. */
  sourceMismatches: number;
  /** Not a well-formed RTP v2 packet (wrong version, truncated, bad padding/extension). */
  badPackets: number;
  rtcpPackets: number;
  /** TCP: bytes skipped to find the next RFC 4571 frame, and how many times that happened. */
  framingBytesDropped: number;
  framingResyncs: number;
  /** TCP passive: connections accepted, and refused because one was already live. */
  connections: number;
  connectionsRefused: number;
  /** ms since epoch of the last accepted RTP packet; 0 before the first. */
  lastPacketAt: number;
  /** The sender: UDP source or TCP peer, `ip:port`. */
  remote?: string;
  /** TCP: a connection is open. UDP: a sender has been locked on (first accepted packet). */
  connected: boolean;
  /** The SSRC being accepted as the stream, once known. */
  ssrc?: number;
  /** UDP and TCP passive: who reads the socket, native/rtp-recv's thread or Node.js. */
  reader?: 'native' | 'node';
  /** UDP, native reader: datagrams dropped because JavaScript fell more than 8 MiB behind. */
  readerDropped?: number;
}
