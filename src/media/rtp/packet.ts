/** An RTP packet (RFC 3550 5.1). `payload` is a view into the received buffer, not a copy. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcCount: number;
  /** Profile of the header extension when the X bit is set, else -1; its data is skipped. */
  extensionProfile: number;
  /** Bytes of padding that were removed from the end (P bit). */
  paddingLength: number;
  payload: Buffer;
}

export const RTP_HEADER_LENGTH = 12;

/**
 * Parses one RTP packet. Returns null for anything that is not a well-formed version 2 packet:
 * too short, CSRC list or header extension running past the end, or padding larger than the
 * payload.
 */
export function parseRtpPacket(buf: Buffer): RtpPacket | null {
  const length = buf.length;
  if (length < RTP_HEADER_LENGTH) return null;
  const b0 = buf[0] ?? 0;
  if (b0 >> 6 !== 2) return null;
  const b1 = buf[1] ?? 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_LENGTH + csrcCount * 4;
  if (offset > length) return null;
  let extensionProfile = -1;
  if (b0 & 0x10) {
    if (offset + 4 > length) return null;
    extensionProfile = buf.readUInt16BE(offset);
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
    if (offset > length) return null;
  }
  let end = length;
  let paddingLength = 0;
  if (b0 & 0x20) {
    paddingLength = buf[length - 1] ?? 0;
    if (paddingLength === 0 || paddingLength > length - offset) return null;
    end -= paddingLength;
  }
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcCount,
    extensionProfile,
    paddingLength,
    payload: buf.subarray(offset, end),
  };
}

/** RFC 5761 4: with RTP and RTCP on one transport, a second byte of 192..223 means RTCP. */
export function isRtcpPacket(buf: Buffer): boolean {
  const b1 = buf[1] ?? 0;
  return buf.length >= 8 && (buf[0] ?? 0) >> 6 === 2 && b1 >= 192 && b1 <= 223;
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Writes a 12-byte RTP header (no CSRC, no extension, no padding) at `offset`; returns 12. */
export function writeRtpHeader(buf: Buffer, offset: number, h: RtpHeaderFields): number {
  buf[offset] = 0x80;
  buf[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf.writeUInt16BE(h.sequenceNumber & 0xffff, offset + 2);
  buf.writeUInt32BE(h.timestamp >>> 0, offset + 4);
  buf.writeUInt32BE(h.ssrc >>> 0, offset + 8);
  return RTP_HEADER_LENGTH;
}

/** A whole RTP packet: header followed by a copy of the payload. */
export function buildRtpPacket(h: RtpHeaderFields, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length);
  writeRtpHeader(out, 0, h);
  payload.copy(out, RTP_HEADER_LENGTH);
  return out;
}

/** Signed distance from sequence number `a` to `b` (b - a) across the 16-bit wrap. */
export function seqDistance(a: number, b: number): number {
  return (((b - a) & 0xffff) << 16) >> 16;
}
