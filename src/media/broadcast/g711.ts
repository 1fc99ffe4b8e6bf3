/** G.711 (ITU-T) A-law and µ-law: what broadcast audio is sent as. Clips are kept in A-law. */

/** 16-bit linear sample of an A-law byte. */
export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** µ-law byte of a 16-bit linear sample. */
export function linearToUlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.trunc(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 16-bit linear sample of a µ-law byte. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

let alawToUlawTable: Uint8Array | null = null;

/** A-law bytes re-coded as µ-law (a 256-entry table, built once). */
export function alawToUlaw(alaw: Buffer): Buffer {
  if (alawToUlawTable === null) {
    const t = new Uint8Array(256);
    for (let i = 0; i < 256; i++) t[i] = linearToUlaw(alawToLinear(i));
    alawToUlawTable = t;
  }
  const table = alawToUlawTable;
  const out = Buffer.allocUnsafe(alaw.length);
  for (let i = 0; i < alaw.length; i++) out[i] = table[alaw[i] ?? 0] ?? 0xff;
  return out;
}
