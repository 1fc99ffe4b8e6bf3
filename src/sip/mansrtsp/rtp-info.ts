/** The parts of an RTP-Info value (`url=...;seq=18139;rtptime=3119600838`) a receiver uses. */
export interface RtpInfo {
  url: string | null;
  /** First RTP sequence number of the new stream. */
  seq: number | null;
  /** Its RTP timestamp. */
  rtptime: number | null;
}

/** Reads the first stream's entry; unknown or unreadable parameters are null. Never throws. */
export function parseRtpInfo(value: string): RtpInfo {
  const info: RtpInfo = { url: null, seq: null, rtptime: null };
  const firstStream = value.split(',')[0] ?? '';
  for (const part of firstStream.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const text = part.slice(eq + 1).trim();
    if (name === 'url') info.url = text === '' ? null : text;
    else if (name === 'seq') info.seq = readUnsigned(text);
    else if (name === 'rtptime') info.rtptime = readUnsigned(text);
  }
  return info;
}

function readUnsigned(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}
