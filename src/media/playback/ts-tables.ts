import type { VideoCodec } from '../codec/types';
import { crc32Mpeg } from '../ps/crc32-mpeg';
import type { TsStream } from '../record/ts-scan';

/** Program specific information (ISO/IEC 13818-1 2.4.4): the PAT and PMT sections we need. */
export const PAT_TABLE_ID = 0x00;
export const PMT_TABLE_ID = 0x02;

/** stream_type values (Table 2-34) the demuxer turns into access units. */
export const VIDEO_STREAM_TYPES: Readonly<Record<number, VideoCodec>> = { 0x1b: 'h264', 0x24: 'h265' };
export const AAC_ADTS_STREAM_TYPE = 0x0f;

/**
 * The section a PSI packet's payload starts (pointer_field skipped, table_id first, CRC last),
 * or null when it does not start here, does not fit in this payload, or its CRC is wrong.
 * Sections spread over several packets are not read: our PAT and PMT fit in one.
 */
export function psiSection(payload: Buffer, tableId: number): Buffer | null {
  if (payload.length < 1) return null;
  const start = 1 + (payload[0] ?? 0);
  if (start + 3 > payload.length || payload[start] !== tableId) return null;
  const b1 = payload[start + 1] ?? 0;
  if ((b1 & 0x80) === 0) return null; // section_syntax_indicator
  const length = ((b1 & 0x0f) << 8) | (payload[start + 2] ?? 0);
  const end = start + 3 + length;
  if (length < 9 || end > payload.length) return null;
  const section = payload.subarray(start, end);
  return crc32Mpeg(section, 0, section.length - 4) === section.readUInt32BE(section.length - 4) ? section : null;
}

/** The PMT PID of the first program in a PAT section, or -1. */
export function pmtPidOf(pat: Buffer): number {
  for (let q = 8; q + 4 <= pat.length - 4; q += 4) {
    if (pat.readUInt16BE(q) !== 0) return pat.readUInt16BE(q + 2) & 0x1fff;
  }
  return -1;
}

/** The elementary streams a PMT section lists. */
export function streamsOfPmt(pmt: Buffer): TsStream[] {
  if (pmt.length < 16) return [];
  const infoLength = pmt.readUInt16BE(10) & 0x0fff;
  const streams: TsStream[] = [];
  for (let q = 12 + infoLength; q + 5 <= pmt.length - 4; ) {
    streams.push({ streamType: pmt[q] ?? 0, pid: pmt.readUInt16BE(q + 1) & 0x1fff });
    q += 5 + (pmt.readUInt16BE(q + 3) & 0x0fff);
  }
  return streams;
}

export interface SelectedTracks {
  video?: { pid: number; codec: VideoCodec };
  audio?: { pid: number; codec: 'aac' };
}

/** The first video and the first AAC stream of a program; other streams are not read. */
export function selectTracks(streams: readonly TsStream[]): SelectedTracks {
  const out: SelectedTracks = {};
  for (const s of streams) {
    const codec = VIDEO_STREAM_TYPES[s.streamType];
    if (codec && !out.video) out.video = { pid: s.pid, codec };
    else if (s.streamType === AAC_ADTS_STREAM_TYPE && !out.audio) out.audio = { pid: s.pid, codec: 'aac' };
  }
  return out;
}
