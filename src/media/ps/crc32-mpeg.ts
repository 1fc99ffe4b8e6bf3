/** CRC-32/MPEG-2 (polynomial 0x04C11DB7, no reflection, init 0xFFFFFFFF), as in a PSM. */
const TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  TABLE[i] = c >>> 0;
}

export function crc32Mpeg(buf: Buffer, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ (TABLE[((crc >>> 24) ^ (buf[i] ?? 0)) & 0xff] ?? 0)) >>> 0;
  return crc >>> 0;
}
