import { PTS_WRAP } from '../../ps/timestamp';
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-psi';

const PAYLOAD_SIZE = TS_PACKET_SIZE - 4;

/** What the first packet of a PES carries in its adaptation field. */
export interface PesStart {
  /** 27 MHz clock base in 90 kHz units, or -1 for none. */
  pcr: number;
  randomAccess: boolean;
}

/** Adaptation field bytes of the first packet (length byte included), 0 when none is needed. */
export function startFieldLength(start: PesStart): number {
  if (start.pcr < 0 && !start.randomAccess) return 0;
  return 2 + (start.pcr >= 0 ? 6 : 0);
}

/** How many TS packets a PES of `length` bytes takes. */
export function pesPacketCount(length: number, start: PesStart): number {
  const first = PAYLOAD_SIZE - startFieldLength(start);
  return length <= first ? 1 : 1 + Math.ceil((length - first) / PAYLOAD_SIZE);
}

/**
 * Writes the PES made of `pieces` (header first) as TS packets at `at`; the last packet is padded
 * with adaptation field stuffing, since TS has no other way to end a PES mid-packet.
 * Returns the next continuity counter.
 */
export function writePesPackets(out: Buffer, at: number, pid: number, cc: number, pieces: readonly Buffer[], start: PesStart): number {
  let remaining = 0;
  for (const p of pieces) remaining += p.length;
  let piece = 0;
  let pieceOffset = 0;
  let first = true;
  let q = at;
  while (remaining > 0) {
    const fields = first ? startFieldLength(start) : 0;
    const room = PAYLOAD_SIZE - fields;
    const stuffing = remaining < room ? room - remaining : 0;
    const afLength = fields + stuffing; // adaptation field bytes, length byte included
    out[q] = TS_SYNC_BYTE;
    out[q + 1] = (first ? 0x40 : 0) | ((pid >> 8) & 0x1f);
    out[q + 2] = pid & 0xff;
    out[q + 3] = (afLength > 0 ? 0x30 : 0x10) | (cc & 0x0f);
    cc = (cc + 1) & 0x0f;
    let p = q + 4;
    if (afLength > 0) p = writeAdaptationField(out, p, afLength, first ? start : null);
    let n = TS_PACKET_SIZE - (p - q);
    remaining -= n;
    while (n > 0) {
      const src = pieces[piece] as Buffer;
      const take = Math.min(n, src.length - pieceOffset);
      src.copy(out, p, pieceOffset, pieceOffset + take);
      p += take;
      n -= take;
      pieceOffset += take;
      if (pieceOffset === src.length) {
        piece++;
        pieceOffset = 0;
      }
    }
    q += TS_PACKET_SIZE;
    first = false;
  }
  return cc;
}

/** Writes an adaptation field of `total` bytes (length byte included); returns where it ends. */
function writeAdaptationField(out: Buffer, p: number, total: number, start: PesStart | null): number {
  out[p] = total - 1;
  if (total === 1) return p + 1; // a lone length byte of 0 is one byte of stuffing
  const withPcr = start !== null && start.pcr >= 0;
  out[p + 1] = (start?.randomAccess ? 0x40 : 0) | (withPcr ? 0x10 : 0);
  let q = p + 2;
  if (withPcr && start) {
    writePcr(out, q, start.pcr);
    q += 6;
  }
  out.fill(0xff, q, p + total);
  return p + total;
}

/** program_clock_reference: 33-bit base, 6 reserved bits, 9-bit extension 0. */
function writePcr(out: Buffer, at: number, base90k: number): void {
  const v = ((base90k % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  const high = Math.floor(v / 2); // top 32 bits
  out.writeUInt32BE(high >>> 0, at);
  out[at + 4] = ((v % 2) << 7) | 0x7e;
  out[at + 5] = 0;
}
