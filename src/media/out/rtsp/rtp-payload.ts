/**
 * One RTP payload as pieces sent back to back, so the frame's bytes are never copied: a few bytes
 * of payload header made here (FU indicator and header, AU-header section) and a view into the frame.
 */
export interface RtpPayloadPiece {
  /** Payload header bytes before `body`; empty for a single NAL unit or G.711. */
  prefix: Buffer;
  body: Buffer;
  /** The RTP marker bit: last packet of a video access unit, last fragment of an AAC frame. */
  marker: boolean;
  /** Clock ticks after the access unit's timestamp (a G.711 frame split over packets). */
  tsOffset: number;
}

export const EMPTY = Buffer.alloc(0);
/** RTP payload bytes at most per packet: keeps packets under a 1500-byte MTU with IP, UDP and RTP headers. */
export const DEFAULT_MAX_PAYLOAD = 1400;
/** Below this a fragment would carry almost nothing but headers. */
export const MIN_MAX_PAYLOAD = 64;

export function clampMaxPayload(maxPayload: number): number {
  return Number.isFinite(maxPayload) ? Math.max(MIN_MAX_PAYLOAD, Math.min(65000, Math.floor(maxPayload))) : DEFAULT_MAX_PAYLOAD;
}

/** Grows in steps so that the prefixes of one access unit share a few allocations. */
export class PrefixSlab {
  private slab = EMPTY;
  private used = 0;

  take(size: number): Buffer {
    if (this.used + size > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(256, size));
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return out;
  }
}
