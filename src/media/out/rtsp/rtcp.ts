/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** Room for the 4-byte interleaved frame header (RFC 2326 10.12) in front of every packet we build. */
export const INTERLEAVED_HEADER = 4;

/** Writes '$', channel and the size of what follows at `buf[0..4)`. */
export function writeInterleavedHeader(buf: Buffer, channel: number, size: number): void {
  buf[0] = 0x24;
  buf[1] = channel & 0xff;
  buf.writeUInt16BE(size & 0xffff, 2);
}

export interface SenderReportFields {
  ssrc: number;
  /** Wall clock of the report, ms since the Unix epoch. */
  wallMs: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

/** An RTCP sender report without report blocks (RFC 3550 6.4.1), after a 4-byte interleaved header for `channel`. */
export function buildSenderReport(f: SenderReportFields, channel: number): Buffer {
  const out = Buffer.alloc(INTERLEAVED_HEADER + 28);
  writeInterleavedHeader(out, channel, 28);
  const o = INTERLEAVED_HEADER;
  out[o] = 0x80;
  out[o + 1] = 200;
  out.writeUInt16BE(6, o + 2);
  out.writeUInt32BE(f.ssrc >>> 0, o + 4);
  const seconds = Math.floor(f.wallMs / 1000);
  out.writeUInt32BE((seconds + NTP_UNIX_OFFSET) >>> 0, o + 8);
  out.writeUInt32BE(Math.floor(((f.wallMs - seconds * 1000) / 1000) * 0x100000000) >>> 0, o + 12);
  out.writeUInt32BE(f.rtpTimestamp >>> 0, o + 16);
  out.writeUInt32BE(f.packets >>> 0, o + 20);
  out.writeUInt32BE(f.octets >>> 0, o + 24);
  return out;
}

/** An RTCP BYE for one source (RFC 3550 6.6), after a 4-byte interleaved header for `channel`. */
export function buildBye(ssrc: number, channel: number): Buffer {
  const out = Buffer.alloc(INTERLEAVED_HEADER + 8);
  writeInterleavedHeader(out, channel, 8);
  out[INTERLEAVED_HEADER] = 0x81;
  out[INTERLEAVED_HEADER + 1] = 203;
  out.writeUInt16BE(1, INTERLEAVED_HEADER + 2);
  out.writeUInt32BE(ssrc >>> 0, INTERLEAVED_HEADER + 4);
  return out;
}
