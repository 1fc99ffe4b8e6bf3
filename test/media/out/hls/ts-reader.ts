import { readPts } from '../../../../src/media/ps/timestamp';

/** A test-side TS reader, written from ISO/IEC 13818-1 independently of the muxer. */
export interface TsPacket {
  pid: number;
  unitStart: boolean;
  cc: number;
  adaptation: Buffer | null;
  payload: Buffer;
}

export function readPackets(ts: Buffer): TsPacket[] {
  if (ts.length % 188 !== 0) throw new Error(`TS length ${ts.length} is not a multiple of 188`);
  const out: TsPacket[] = [];
  for (let at = 0; at < ts.length; at += 188) {
    const p = ts.subarray(at, at + 188);
    if (p[0] !== 0x47) throw new Error(`no sync byte at ${at}`);
    const control = (p[3]! >> 4) & 3;
    let q = 4;
    let adaptation: Buffer | null = null;
    if (control & 2) {
      const len = p[4]!;
      adaptation = p.subarray(5, 5 + len);
      q = 5 + len;
      if (q > 188) throw new Error('adaptation field too long');
    }
    out.push({ pid: ((p[1]! & 0x1f) << 8) | p[2]!, unitStart: (p[1]! & 0x40) !== 0, cc: p[3]! & 0x0f, adaptation, payload: control & 1 ? p.subarray(q) : Buffer.alloc(0) });
  }
  return out;
}

export interface Pes {
  streamId: number;
  lengthField: number;
  pts: number;
  dts: number;
  data: Buffer;
  randomAccess: boolean;
  /** PCR base (90 kHz) of the first packet, or -1. */
  pcr: number;
}

/** The PES packets of one PID, reassembled. */
export function readPes(packets: readonly TsPacket[], pid: number): Pes[] {
  const out: Pes[] = [];
  let parts: Buffer[] = [];
  let first: TsPacket | null = null;
  const finish = (): void => {
    if (!first) return;
    const b = Buffer.concat(parts);
    if (b.readUIntBE(0, 3) !== 1) throw new Error('PES start code missing');
    const flags = b[7]!;
    const headerLength = 9 + b[8]!;
    const af = first.adaptation;
    const withPcr = af !== null && af.length >= 7 && (af[0]! & 0x10) !== 0;
    out.push({
      streamId: b[3]!,
      lengthField: b.readUInt16BE(4),
      pts: flags & 0x80 ? readPts(b, 9) : -1,
      dts: (flags & 0xc0) === 0xc0 ? readPts(b, 14) : flags & 0x80 ? readPts(b, 9) : -1,
      data: b.subarray(headerLength),
      randomAccess: af !== null && af.length > 0 && (af[0]! & 0x40) !== 0,
      pcr: withPcr ? af.readUInt32BE(1) * 2 + (af[5]! >> 7) : -1,
    });
  };
  for (const p of packets) {
    if (p.pid !== pid) continue;
    if (p.unitStart) {
      finish();
      parts = [];
      first = p;
    }
    if (first) parts.push(p.payload);
  }
  finish();
  return out;
}

/** A PSI section (from table_id to the CRC included) of a packet that starts one. */
export function sectionOf(p: TsPacket): Buffer {
  const pointer = p.payload[0]!;
  const s = p.payload.subarray(1 + pointer);
  const length = ((s[1]! & 0x0f) << 8) | s[2]!;
  return s.subarray(0, 3 + length);
}
