import { buildRtpPacket } from '../rtp/packet';

/** GB/T 28181 Annex C.1: PS over RTP uses payload type 96 and a 90 kHz clock. */
export const PS_PAYLOAD_TYPE = 96;
export const DEFAULT_MAX_PAYLOAD = 1400;

/** Cuts a byte stream into views of at most `maxPayload` bytes (no copy). */
export function splitPayloads(ps: Buffer, maxPayload = DEFAULT_MAX_PAYLOAD): Buffer[] {
  const size = Math.max(1, maxPayload);
  const out: Buffer[] = [];
  for (let at = 0; at < ps.length; at += size) out.push(ps.subarray(at, Math.min(ps.length, at + size)));
  return out;
}

export interface RtpPsPacketizerOptions {
  ssrc: number;
  payloadType?: number;
  initialSequenceNumber?: number;
  maxPayload?: number;
}

/**
 * Sends PS packs as RTP: every packet of a frame carries the frame's timestamp and the last
 * one the marker bit, so receivers can end the frame without waiting for the next.
 */
export class RtpPsPacketizer {
  private seq: number;
  private readonly payloadType: number;
  private readonly maxPayload: number;

  constructor(private readonly options: RtpPsPacketizerOptions) {
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 65536)) & 0xffff;
    this.payloadType = options.payloadType ?? PS_PAYLOAD_TYPE;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  }

  /** The sequence number the next packet will carry. */
  get sequenceNumber(): number {
    return this.seq;
  }

  /** RTP packets for one PS pack (or frame); `timestamp` is 90 kHz and taken modulo 2^32. */
  packetize(ps: Buffer, timestamp: number, endOfFrame = true): Buffer[] {
    const payloads = splitPayloads(ps, this.maxPayload);
    const ts = ((timestamp % 2 ** 32) + 2 ** 32) % 2 ** 32;
    return payloads.map((payload, i) => {
      const packet = buildRtpPacket(
        { marker: endOfFrame && i === payloads.length - 1, payloadType: this.payloadType, sequenceNumber: this.seq, timestamp: ts, ssrc: this.options.ssrc },
        payload,
      );
      this.seq = (this.seq + 1) & 0xffff;
      return packet;
    });
  }
}
