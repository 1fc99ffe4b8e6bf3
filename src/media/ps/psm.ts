import { crc32Mpeg } from './crc32-mpeg';
import { isAudioStreamId, isVideoStreamId } from './stream-types';

export interface PsmEntry {
  streamType: number;
  streamId: number;
}

/** A program stream map (ISO/IEC 13818-1 2.5.4): which stream_type each stream id carries. */
export interface ProgramStreamMap {
  version: number;
  entries: PsmEntry[];
}

/**
 * Parses a whole PSM packet (from its start code). Tolerant on purpose: devices send vendor
 * descriptors and `elementary_stream_map_length` values that disagree with the entries, so the
 * entries are read up to the CRC and reading stops at the first implausible one.
 * Returns null when not even the fixed part fits.
 */
export function parseProgramStreamMap(buf: Buffer): ProgramStreamMap | null {
  if (buf.length < 16) return null;
  const total = Math.min(buf.length, 6 + buf.readUInt16BE(4));
  if (total < 16) return null;
  const version = (buf[6] ?? 0) & 0x1f;
  const infoEnd = 10 + buf.readUInt16BE(8);
  // A program_stream_info_length that overruns is a lie as well: assume no descriptors.
  let q = infoEnd + 2 <= total - 4 ? infoEnd : 10;
  q += 2; // elementary_stream_map_length: not trusted, see above
  const end = total - 4;
  const entries: PsmEntry[] = [];
  while (q + 4 <= end) {
    const streamType = buf[q] ?? 0;
    const streamId = buf[q + 1] ?? 0;
    if (streamType === 0 || !(isVideoStreamId(streamId) || isAudioStreamId(streamId) || streamId === 0xbd || streamId === 0xbf)) break;
    if (!entries.some((e) => e.streamId === streamId)) entries.push({ streamType, streamId });
    q += 4 + buf.readUInt16BE(q + 2);
  }
  return { version, entries };
}

/** Writes a PSM with no descriptors and a correct CRC; returns its length. */
export function writeProgramStreamMap(buf: Buffer, at: number, version: number, entries: readonly PsmEntry[]): number {
  const mapLength = entries.length * 4;
  const length = 6 + mapLength + 4; // after the length field: 2 flags, 2 info length, 2 map length, map, CRC
  buf[at] = 0;
  buf[at + 1] = 0;
  buf[at + 2] = 1;
  buf[at + 3] = 0xbc;
  buf.writeUInt16BE(length, at + 4);
  buf[at + 6] = 0x80 | (version & 0x1f); // current_next_indicator, version
  buf[at + 7] = 0xff; // reserved, marker
  buf.writeUInt16BE(0, at + 8); // program_stream_info_length
  buf.writeUInt16BE(mapLength, at + 10);
  let q = at + 12;
  for (const e of entries) {
    buf[q] = e.streamType;
    buf[q + 1] = e.streamId;
    buf.writeUInt16BE(0, q + 2);
    q += 4;
  }
  buf.writeUInt32BE(crc32Mpeg(buf, at, q), q);
  return q + 4 - at;
}

export function programStreamMapLength(entries: number): number {
  return 16 + entries * 4;
}
