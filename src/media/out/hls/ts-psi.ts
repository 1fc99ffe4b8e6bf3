import { crc32Mpeg } from '../../ps/crc32-mpeg';

/** MPEG-2 TS constants shared by the packet writers (ISO/IEC 13818-1 2.4.3, 2.4.4). */
export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
export const PAT_PID = 0x0000;
export const PMT_PID = 0x1000;
export const VIDEO_PID = 0x0100;
export const AUDIO_PID = 0x0101;
export const PROGRAM_NUMBER = 1;

/** stream_type values in the PMT (ISO/IEC 13818-1 Table 2-34). */
export const STREAM_TYPE = { h264: 0x1b, h265: 0x24, aac: 0x0f } as const;

export interface PmtStream {
  streamType: number;
  pid: number;
}

/**
 * Writes one TS packet carrying a whole PSI section (pointer field 0, rest stuffed with 0xFF).
 * `section` fills bytes from table_id up to, not including, the CRC; returns its length.
 */
function writeSectionPacket(out: Buffer, at: number, pid: number, cc: number, section: (b: Buffer, p: number) => number): void {
  out.fill(0xff, at, at + TS_PACKET_SIZE);
  out[at] = TS_SYNC_BYTE;
  out[at + 1] = 0x40 | ((pid >> 8) & 0x1f); // payload_unit_start_indicator
  out[at + 2] = pid & 0xff;
  out[at + 3] = 0x10 | (cc & 0x0f); // payload only
  out[at + 4] = 0; // pointer_field
  const start = at + 5;
  const length = section(out, start);
  out.writeUInt32BE(crc32Mpeg(out, start, start + length), start + length);
}

/** Program association table for our single program. */
export function writePat(out: Buffer, at: number, cc: number): void {
  writeSectionPacket(out, at, PAT_PID, cc, (b, p) => {
    b[p] = 0x00; // table_id
    b.writeUInt16BE(0xb000 | 13, p + 1); // section_syntax_indicator, section_length
    b.writeUInt16BE(1, p + 3); // transport_stream_id
    b[p + 5] = 0xc1; // version 0, current_next_indicator
    b[p + 6] = 0;
    b[p + 7] = 0;
    b.writeUInt16BE(PROGRAM_NUMBER, p + 8);
    b.writeUInt16BE(0xe000 | PMT_PID, p + 10);
    return 12;
  });
}

/** Program map table listing `streams`; `version` (0..31) changes whenever the list does. */
export function writePmt(out: Buffer, at: number, cc: number, version: number, pcrPid: number, streams: readonly PmtStream[]): void {
  writeSectionPacket(out, at, PMT_PID, cc, (b, p) => {
    b[p] = 0x02;
    b.writeUInt16BE(0xb000 | (13 + 5 * streams.length), p + 1);
    b.writeUInt16BE(PROGRAM_NUMBER, p + 3);
    b[p + 5] = 0xc1 | ((version & 0x1f) << 1);
    b[p + 6] = 0;
    b[p + 7] = 0;
    b.writeUInt16BE(0xe000 | pcrPid, p + 8);
    b.writeUInt16BE(0xf000, p + 10); // program_info_length 0
    let q = p + 12;
    for (const s of streams) {
      b[q] = s.streamType;
      b.writeUInt16BE(0xe000 | s.pid, q + 1);
      b.writeUInt16BE(0xf000, q + 3); // ES_info_length 0
      q += 5;
    }
    return q - p;
  });
}
