import { clampMaxPayload, EMPTY, PrefixSlab, type RtpPayloadPiece } from './rtp-payload';

const FU_A = 28;
const AUD = 9;

/**
 * RTP payloads for one H.264 access unit (RFC 6184, packetization-mode=1): a NAL unit that fits
 * goes whole (5.6), a larger one in FU-A fragments (5.8). The marker is set on the last packet.
 * Access unit delimiters are left out, and so are types 0 and 24..31, which would read as
 * aggregation or fragmentation units on the receiving side.
 */
export function payloadH264(nalUnits: readonly Buffer[], maxPayload: number): RtpPayloadPiece[] {
  const max = clampMaxPayload(maxPayload);
  const pieces: RtpPayloadPiece[] = [];
  const slab = new PrefixSlab();
  for (const nal of nalUnits) {
    if (nal.length < 1) continue;
    const header = nal[0] ?? 0;
    const type = header & 0x1f;
    if (type === 0 || type === AUD || type >= 24) continue;
    if (nal.length <= max) {
      pieces.push({ prefix: EMPTY, body: nal, marker: false, tsOffset: 0 });
      continue;
    }
    const chunk = max - 2;
    for (let at = 1; at < nal.length; at += chunk) {
      const end = Math.min(nal.length, at + chunk);
      const prefix = slab.take(2);
      prefix[0] = (header & 0xe0) | FU_A;
      prefix[1] = (at === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      pieces.push({ prefix, body: nal.subarray(at, end), marker: false, tsOffset: 0 });
    }
  }
  const last = pieces[pieces.length - 1];
  if (last !== undefined) last.marker = true;
  return pieces;
}
