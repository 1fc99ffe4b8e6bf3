/** 90 kHz timestamps as carried in PES headers (33 bits). */
export const PTS_WRAP = 2 ** 33;

/** Reads a 5-byte PTS/DTS field (ISO/IEC 13818-1 2.4.3.7); marker bits are not enforced. */
export function readPts(buf: Buffer, at: number): number {
  const b0 = buf[at] ?? 0;
  const high = (b0 >> 1) & 0x07;
  const mid = (((buf[at + 1] ?? 0) << 7) | ((buf[at + 2] ?? 0) >> 1)) & 0x7fff;
  const low = (((buf[at + 3] ?? 0) << 7) | ((buf[at + 4] ?? 0) >> 1)) & 0x7fff;
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

/** Writes a 5-byte PTS/DTS field with the given 4-bit prefix ('0010' PTS only, '0011'/'0001' PTS+DTS). */
export function writePts(buf: Buffer, at: number, prefix: number, value: number): void {
  const v = ((value % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  const high = Math.floor(v / 2 ** 30) & 0x07;
  const mid = Math.floor(v / 2 ** 15) & 0x7fff;
  const low = v & 0x7fff;
  buf[at] = (prefix << 4) | (high << 1) | 1;
  buf[at + 1] = mid >> 7;
  buf[at + 2] = ((mid & 0x7f) << 1) | 1;
  buf[at + 3] = low >> 7;
  buf[at + 4] = ((low & 0x7f) << 1) | 1;
}

/**
 * Turns timestamps that wrap (33-bit PTS, 32-bit RTP) into a continuous count: a step back of
 * more than half the range is a wrap. The first value is returned as is.
 */
export class TimestampUnwrapper {
  private last = -1;
  private offset = 0;

  constructor(private readonly range: number) {}

  unwrap(raw: number): number {
    if (this.last >= 0) {
      const half = this.range / 2;
      if (raw - this.last < -half) this.offset += this.range;
      else if (raw - this.last > half && this.offset >= this.range) this.offset -= this.range;
    }
    this.last = raw;
    return raw + this.offset;
  }
}
