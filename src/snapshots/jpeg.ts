/** What a JPEG's header says about it; null fields when the frame header was not found. */
export interface JpegInfo {
  width: number;
  height: number;
}

/** Starts with SOI and the marker prefix of the next segment (FF D8 FF): what every JPEG/JFIF/EXIF file does. */
export function isJpeg(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

/** Start-of-frame markers (baseline, extended, progressive, lossless...): C0-CF except DHT (C4), JPG (C8), DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Width and height from the first start-of-frame segment. Total: walks the marker segments by
 * their lengths and returns null for anything that is not a JPEG or ends before the frame header.
 */
export function jpegInfo(buf: Buffer): JpegInfo | null {
  if (!isJpeg(buf)) return null;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return null;
    const marker = buf[p + 1] ?? 0;
    // Fill bytes (FF FF ...) may precede a marker.
    if (marker === 0xff) {
      p += 1;
      continue;
    }
    // Markers without a length: TEM, RSTn; SOS starts entropy-coded data, after which no SOF comes.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return null;
    const length = buf.readUInt16BE(p + 2);
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (p + 9 > buf.length || length < 7) return null;
      const height = buf.readUInt16BE(p + 5);
      const width = buf.readUInt16BE(p + 7);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    p += 2 + length;
  }
  return null;
}
