/** ADTS (AAC transport) header fields, ISO/IEC 13818-7 6.2. */
export interface AdtsHeader {
  /** Audio object type minus 1 (0 = Main, 1 = LC, 2 = SSR). */
  profile: number;
  sampleRateIndex: number;
  sampleRate: number;
  channelConfig: number;
  headerLength: number;
  /** Whole frame length, header included. */
  frameLength: number;
}

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Parses the ADTS header at `offset`, or returns null when the bytes there are not one. */
export function parseAdtsHeader(buf: Buffer, offset = 0): AdtsHeader | null {
  if (offset < 0 || buf.length - offset < 7) return null;
  const b1 = buf[offset + 1] ?? 0;
  if (buf[offset] !== 0xff || (b1 & 0xf6) !== 0xf0) return null; // syncword, layer 00
  const b2 = buf[offset + 2] ?? 0;
  const b3 = buf[offset + 3] ?? 0;
  const sampleRateIndex = (b2 >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
  if (sampleRate === undefined) return null;
  const headerLength = b1 & 1 ? 7 : 9;
  const frameLength = ((b3 & 3) << 11) | ((buf[offset + 4] ?? 0) << 3) | ((buf[offset + 5] ?? 0) >> 5);
  if (frameLength < headerLength) return null;
  return {
    profile: b2 >> 6,
    sampleRateIndex,
    sampleRate,
    channelConfig: ((b2 & 1) << 2) | (b3 >> 6),
    headerLength,
    frameLength,
  };
}

/**
 * Whether `buf` holds ADTS frames: a valid header whose frame fits, followed by another header
 * or by the end of the buffer. Used to catch AAC sent under a G.711 declaration.
 */
export function looksLikeAdts(buf: Buffer): boolean {
  const h = parseAdtsHeader(buf, 0);
  if (!h || h.frameLength > buf.length) return false;
  return h.frameLength === buf.length || parseAdtsHeader(buf, h.frameLength) !== null;
}

/** The 2-byte AudioSpecificConfig for an ADTS header (for FLV/MP4 muxers). */
export function aacConfigFromAdts(h: AdtsHeader): Buffer {
  const objectType = h.profile + 1;
  const config = (objectType << 11) | (h.sampleRateIndex << 7) | (h.channelConfig << 3);
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(config, 0);
  return out;
}
