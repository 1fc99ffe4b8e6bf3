import { parseAdtsHeader } from '../../codec/adts';
import { clampMaxPayload, EMPTY, PrefixSlab, type RtpPayloadPiece } from './rtp-payload';

/** AU-size is 13 bits in AAC-hbr mode. */
const MAX_AAC_FRAME = 8191;

/**
 * RTP payloads for one AAC frame (RFC 3640 3.3.6, AAC-hbr: sizelength=13, indexlength=3): the
 * ADTS header goes, one AU-header in front. A frame larger than a packet is fragmented (3.2.3),
 * every fragment with the whole frame's AU-size, the marker on the last. A frame too large for
 * 13 bits gives no payload.
 */
export function payloadAac(frame: Buffer, maxPayload: number): RtpPayloadPiece[] {
  const adts = parseAdtsHeader(frame);
  const raw = adts !== null && adts.frameLength <= frame.length ? frame.subarray(adts.headerLength, adts.frameLength) : frame;
  if (raw.length === 0 || raw.length > MAX_AAC_FRAME) return [];
  const chunk = clampMaxPayload(maxPayload) - 4;
  const slab = new PrefixSlab();
  const pieces: RtpPayloadPiece[] = [];
  for (let at = 0; at < raw.length; at += chunk) {
    const end = Math.min(raw.length, at + chunk);
    const prefix = slab.take(4);
    prefix.writeUInt16BE(16, 0); // AU-headers-length in bits: one 16-bit header
    prefix.writeUInt16BE(raw.length << 3, 2); // AU-size, AU-index 0
    pieces.push({ prefix, body: raw.subarray(at, end), marker: end === raw.length, tsOffset: 0 });
  }
  return pieces;
}

/**
 * RTP payloads for G.711 samples (RFC 3551 4.5.14): the bytes as they are, cut at the packet size
 * on sample boundaries; each piece's timestamp moves on by the samples before it.
 */
export function payloadG711(samples: Buffer, maxPayload: number, channels = 1): RtpPayloadPiece[] {
  const perSample = Math.max(1, Math.floor(channels));
  const max = clampMaxPayload(maxPayload);
  const chunk = max - (max % perSample);
  const pieces: RtpPayloadPiece[] = [];
  for (let at = 0; at < samples.length; at += chunk) {
    const end = Math.min(samples.length, at + chunk);
    pieces.push({ prefix: EMPTY, body: samples.subarray(at, end), marker: false, tsOffset: at / perSample });
  }
  return pieces;
}
