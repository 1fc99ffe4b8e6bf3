/**
 * Reads bits MSB-first from an RBSP (emulation prevention bytes already removed). Reading past the
 * end never throws: it yields zeros and sets `overrun`, which the caller checks once at the end.
 */
export class BitReader {
  private bit: number;
  private readonly endBit: number;
  overrun = false;

  constructor(
    private readonly buf: Buffer,
    startByte = 0,
    endByte = buf.length,
  ) {
    this.bit = startByte * 8;
    this.endBit = Math.min(endByte, buf.length) * 8;
  }

  get bitsLeft(): number {
    return Math.max(0, this.endBit - this.bit);
  }

  readBit(): number {
    if (this.bit >= this.endBit) {
      this.overrun = true;
      return 0;
    }
    const byte = this.buf[this.bit >> 3] ?? 0;
    const value = (byte >> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return value;
  }

  /** Up to 32 bits, as an unsigned number. */
  readBits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + this.readBit();
    return value;
  }

  skipBits(n: number): void {
    if (this.bit + n > this.endBit) {
      this.overrun = true;
      this.bit = this.endBit;
      return;
    }
    this.bit += n;
  }

  /** Unsigned exp-Golomb ue(v); more than 31 leading zeros is corrupt input. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (this.overrun || ++zeros > 31) {
        this.overrun = true;
        return 0;
      }
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** Signed exp-Golomb se(v). */
  readSE(): number {
    const k = this.readUE();
    return k & 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }
}

/**
 * Drops the emulation prevention byte of every 00 00 03 sequence, turning a NAL unit's bytes into
 * its RBSP. Returns a view (no copy) when there is nothing to remove.
 */
export function removeEmulationPrevention(nal: Buffer, start = 0, end = nal.length): Buffer {
  let zeros = 0;
  let first = -1;
  for (let i = start; i < end; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      first = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (first < 0) return nal.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  nal.copy(out, 0, start, first);
  let n = first - start;
  zeros = 0;
  for (let i = first + 1; i < end; i++) {
    const b = nal[i] ?? 0;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}
