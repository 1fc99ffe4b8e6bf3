import { RTP_HEADER_LENGTH, writeRtpHeader } from '../../rtp/packet';
import { INTERLEAVED_HEADER, writeInterleavedHeader } from './rtcp';
import type { RtpPayloadPiece } from './rtp-payload';

/**
 * One RTP packet ready to go: `head` holds the 4-byte interleaved header, the RTP header and the
 * payload header; `body` is a view into the frame. Over TCP both are written as they are; over
 * UDP the datagram is `head.subarray(4)` followed by `body`.
 */
export interface OutgoingRtpPacket {
  head: Buffer;
  body: Buffer;
}

export interface RtpTrackSenderOptions {
  payloadType: number;
  ssrc: number;
  firstSequence: number;
  /** The interleaved channel for RTP (RTCP goes on channel + 1 by convention, or as set up). */
  channel: number;
}

/** Sequence numbers, SSRC and counters of one RTP stream; turns payload pieces into packets. */
export class RtpTrackSender {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly channel: number;
  packets = 0;
  octets = 0;
  /** RTP timestamp of the last packet sent, -1 before the first. */
  lastTimestamp = -1;
  private sequence: number;

  constructor(options: RtpTrackSenderOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType;
    this.channel = options.channel;
    this.sequence = options.firstSequence & 0xffff;
  }

  /** The sequence number the next packet will carry (for RTP-Info). */
  get nextSequence(): number {
    return this.sequence;
  }

  /** Packets for the pieces of one access unit with RTP timestamp `timestamp`; the headers of all share one allocation. */
  packetize(pieces: readonly RtpPayloadPiece[], timestamp: number): OutgoingRtpPacket[] {
    let total = 0;
    for (const p of pieces) total += INTERLEAVED_HEADER + RTP_HEADER_LENGTH + p.prefix.length;
    const slab = Buffer.allocUnsafe(total);
    const out: OutgoingRtpPacket[] = [];
    let at = 0;
    for (const p of pieces) {
      const headLength = INTERLEAVED_HEADER + RTP_HEADER_LENGTH + p.prefix.length;
      const head = slab.subarray(at, at + headLength);
      at += headLength;
      const payloadLength = p.prefix.length + p.body.length;
      writeInterleavedHeader(head, this.channel, RTP_HEADER_LENGTH + payloadLength);
      const ts = (timestamp + p.tsOffset) >>> 0;
      writeRtpHeader(head, INTERLEAVED_HEADER, { marker: p.marker, payloadType: this.payloadType, sequenceNumber: this.sequence, timestamp: ts, ssrc: this.ssrc });
      p.prefix.copy(head, INTERLEAVED_HEADER + RTP_HEADER_LENGTH);
      this.sequence = (this.sequence + 1) & 0xffff;
      this.packets++;
      this.octets += payloadLength;
      this.lastTimestamp = ts;
      out.push({ head, body: p.body });
    }
    return out;
  }
}
