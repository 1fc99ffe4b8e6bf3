/** FLV tag types (FLV spec v10.1, E.4.1). */
export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

/** Bytes of a tag header, and of the PreviousTagSize that follows every tag. */
export const TAG_HEADER_SIZE = 11;
export const PREVIOUS_TAG_SIZE = 4;

/** FLV timestamps are 32-bit milliseconds; they wrap after ~49.7 days. */
const TIMESTAMP_RANGE = 0x1_0000_0000;

/**
 * Allocates one whole tag (header, `dataSize` payload bytes, PreviousTagSize) and writes
 * everything but the payload, which the caller writes from offset TAG_HEADER_SIZE.
 */
export function allocTag(type: number, dataSize: number, timestampMs: number): Buffer {
  const tag = Buffer.allocUnsafe(TAG_HEADER_SIZE + dataSize + PREVIOUS_TAG_SIZE);
  writeTagHeader(tag, type, dataSize, timestampMs);
  tag.writeUInt32BE(TAG_HEADER_SIZE + dataSize, TAG_HEADER_SIZE + dataSize);
  return tag;
}

/** Writes the 11-byte tag header at the start of `tag`. */
export function writeTagHeader(tag: Buffer, type: number, dataSize: number, timestampMs: number): void {
  const ts = ((timestampMs % TIMESTAMP_RANGE) + TIMESTAMP_RANGE) % TIMESTAMP_RANGE;
  tag[0] = type;
  tag.writeUIntBE(dataSize, 1, 3);
  tag.writeUIntBE(ts & 0xffffff, 4, 3);
  tag[7] = ts >>> 24; // TimestampExtended: the upper 8 bits
  tag.writeUIntBE(0, 8, 3); // StreamID, always 0
}

/** Writes a signed 24-bit integer (the composition time offset). */
export function writeSI24(buf: Buffer, value: number, offset: number): void {
  const clamped = Math.max(-0x800000, Math.min(0x7fffff, value));
  buf.writeUIntBE(clamped < 0 ? clamped + 0x1000000 : clamped, offset, 3);
}
