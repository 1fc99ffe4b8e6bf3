import { clampMaxPayload, EMPTY, PrefixSlab, type RtpPayloadPiece } from './rtp-payload';

const FU = 49;
const AUD = 35;

/**
 * RTP payloads for one H.265 access unit (RFC 7798): a NAL unit that fits goes whole (4.4.1),
 * a larger one in fragmentation units (4.4.3). The marker is set on the last packet. Access unit
 * delimiters are left out, and so are types 48..63, which the RTP format gives other meanings.
 */
export function payloadH265(nalUnits: readonly Buffer[], maxPayload: number): RtpPayloadPiece[] {
  const max = clampMaxPayload(maxPayload);
  const pieces: RtpPayloadPiece[] = [];
  const slab = new PrefixSlab();
  for (const nal of nalUnits) {
    if (nal.length < 2) continue;
    const b0 = nal[0] ?? 0;
    const type = (b0 >> 1) & 0x3f;
    if (type === AUD || type >= 48) continue;
    if (nal.length <= max) {
      pieces.push({ prefix: EMPTY, body: nal, marker: false, tsOffset: 0 });
      continue;
    }
    const chunk = max - 3;
    for (let at = 2; at < nal.length; at += chunk) {
      const end = Math.min(nal.length, at + chunk);
      const prefix = slab.take(3);
      prefix[0] = (b0 & 0x81) | (FU << 1); // F and LayerId's high bit kept
      prefix[1] = nal[1] ?? 1; // LayerId low bits and TID
      prefix[2] = (at === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      pieces.push({ prefix, body: nal.subarray(at, end), marker: false, tsOffset: 0 });
    }
  }
  const last = pieces[pieces.length - 1];
  if (last !== undefined) last.marker = true;
  return pieces;
}
