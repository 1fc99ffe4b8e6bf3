/** MPEG-2 transport stream packets (ISO/IEC 13818-1 2.4.3.2, 2.4.3.4). */
export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
export const NULL_PID = 0x1fff;

export interface TsPacketHeader {
  pid: number;
  unitStart: boolean;
  continuity: number;
  hasPayload: boolean;
  /** Offset of the payload in the buffer; the packet's end when it has none. */
  payloadStart: number;
  /** random_access_indicator: a PES starting here is a place a decoder can begin. */
  randomAccess: boolean;
  /** discontinuity_indicator: a continuity counter jump here is intended. */
  discontinuity: boolean;
}

/**
 * The header of the packet at `at`, or null for a packet a sane muxer cannot have written
 * (transport_error_indicator set, reserved adaptation_field_control, an adaptation field longer
 * than the packet). Reads nothing past `at + 188`; the caller checked that those bytes exist.
 */
export function readTsPacketHeader(buf: Buffer, at: number): TsPacketHeader | null {
  const b1 = buf[at + 1] ?? 0;
  const b3 = buf[at + 3] ?? 0;
  if (b1 & 0x80) return null;
  const control = (b3 >> 4) & 3;
  if (control === 0) return null;
  const hasPayload = (control & 1) !== 0;
  let payloadStart = at + 4;
  let randomAccess = false;
  let discontinuity = false;
  if (control & 2) {
    const length = buf[at + 4] ?? 0;
    // With a payload the field leaves room for at least one byte of it (2.4.3.5).
    if (length > (hasPayload ? 182 : 183)) return null;
    if (length > 0) {
      const flags = buf[at + 5] ?? 0;
      discontinuity = (flags & 0x80) !== 0;
      randomAccess = (flags & 0x40) !== 0;
    }
    payloadStart = at + 5 + length;
  }
  return {
    pid: ((b1 & 0x1f) << 8) | (buf[at + 2] ?? 0),
    unitStart: (b1 & 0x40) !== 0,
    continuity: b3 & 0x0f,
    hasPayload,
    payloadStart: hasPayload ? payloadStart : at + TS_PACKET_SIZE,
    randomAccess,
    discontinuity,
  };
}
