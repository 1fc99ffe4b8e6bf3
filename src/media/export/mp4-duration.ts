/**
 * The movie duration of an MP4 from its head (`mvhd` in `moov`, ISO/IEC 14496-12 8.2.2), which
 * `-movflags +faststart` puts right after `ftyp`. Pure and total: null when the head holds no
 * readable movie header; never reads past the buffer.
 */
export function mp4DurationMs(head: Buffer): number | null {
  const moov = findBox(head, 0, head.length, 'moov');
  if (!moov) return null;
  const mvhd = findBox(head, moov.body, moov.end, 'mvhd');
  if (!mvhd) return null;
  const at = mvhd.body;
  const version = head[at];
  const [timescaleAt, durationAt, durationBytes] = version === 1 ? [at + 20, at + 24, 8] : [at + 12, at + 16, 4];
  if (version === undefined || version > 1 || durationAt + durationBytes > mvhd.end) return null;
  const timescale = head.readUInt32BE(timescaleAt);
  const duration = durationBytes === 8 ? Number(head.readBigUInt64BE(durationAt)) : head.readUInt32BE(durationAt);
  if (timescale === 0 || !Number.isSafeInteger(duration)) return null;
  return (duration * 1000) / timescale;
}

interface Box {
  body: number;
  end: number;
}

/** The first box of `type` among the boxes laid end to end in [from, to), cut at `to`. */
function findBox(buf: Buffer, from: number, to: number, type: string): Box | null {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return null;
      const large = Number(buf.readBigUInt64BE(at + 8));
      if (!Number.isSafeInteger(large)) return null;
      size = large;
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header) return null;
    // A box may run past the head (a long clip's moov): its fields are checked against what is here.
    if (buf.toString('latin1', at + 4, at + 8) === type) return { body: at + header, end: Math.min(at + size, to) };
    at += size;
  }
  return null;
}
