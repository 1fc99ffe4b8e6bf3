export interface FlvTag {
  type: number;
  timestamp: number;
  data: Buffer;
}

/** The FLV header flags and the whole tags of a (possibly cut-off) FLV byte stream. */
export function readFlvPrefix(flv: Buffer): { signature: string; flags: number; tags: FlvTag[] } {
  const tags: FlvTag[] = [];
  if (flv.length < 13) return { signature: flv.subarray(0, 3).toString('latin1'), flags: flv[4] ?? 0, tags };
  let at = flv.readUInt32BE(5) + 4;
  while (at + 11 <= flv.length) {
    const size = flv.readUIntBE(at + 1, 3);
    if (at + 11 + size + 4 > flv.length) break;
    const timestamp = (flv.readUIntBE(at + 4, 3) | ((flv[at + 7] ?? 0) << 24)) >>> 0;
    tags.push({ type: flv[at] ?? 0, timestamp, data: flv.subarray(at + 11, at + 11 + size) });
    at += 11 + size + 4;
  }
  return { signature: flv.subarray(0, 3).toString('latin1'), flags: flv[4] ?? 0, tags };
}

/** Video tags that carry a picture (not a sequence header), H.264/legacy HEVC or enhanced FLV. */
export function isVideoFrameTag(tag: FlvTag): boolean {
  if (tag.type !== 9) return false;
  const b0 = tag.data[0] ?? 0;
  if (b0 & 0x80) return (b0 & 0x0f) === 1 || (b0 & 0x0f) === 3; // enhanced: CodedFrames / CodedFramesX
  return tag.data[1] === 1;
}

export function isKeyFrameTag(tag: FlvTag): boolean {
  return (((tag.data[0] ?? 0) >> 4) & 0x07) === 1;
}
