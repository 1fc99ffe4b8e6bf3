import { isVclNal, nalType, startsAccessUnit } from './nal-unit';
import type { VideoCodec } from './types';

/**
 * Where NAL units lie in an Annex B buffer: `starts[i]` is the NAL header's offset (after the
 * start code), `ends[i]` the end without trailing zero bytes. `prefix` is the offset of the first
 * start code, so bytes before it are not part of any NAL unit.
 */
export interface NalLayout {
  starts: number[];
  ends: number[];
  /** Offset of each NAL unit's start code (3 or 4 bytes before `starts[i]`). */
  codeStarts: number[];
}

/** Finds every NAL unit in `buf` (3- and 4-byte start codes). Empty NAL units are skipped. */
export function findNalUnits(buf: Buffer): NalLayout {
  const layout: NalLayout = { starts: [], ends: [], codeStarts: [] };
  let current = -1;
  let currentCode = -1;
  let i = buf.indexOf(1, 2);
  while (i !== -1) {
    if (buf[i - 1] === 0 && buf[i - 2] === 0) {
      const code = i >= 3 && buf[i - 3] === 0 ? i - 3 : i - 2;
      if (current >= 0) pushNal(buf, layout, current, code, currentCode);
      current = i + 1;
      currentCode = code;
      i = buf.indexOf(1, i + 3);
    } else {
      i = buf.indexOf(1, i + 1);
    }
  }
  if (current >= 0) pushNal(buf, layout, current, buf.length, currentCode);
  return layout;
}

function pushNal(buf: Buffer, layout: NalLayout, start: number, end: number, code: number): void {
  while (end > start && buf[end - 1] === 0) end--;
  if (end <= start) return;
  layout.starts.push(start);
  layout.ends.push(end);
  layout.codeStarts.push(code);
}

/** The NAL units of an Annex B buffer as views without start codes. */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const { starts, ends } = findNalUnits(buf);
  return starts.map((s, i) => buf.subarray(s, ends[i]));
}

/**
 * Cuts an Annex B elementary stream into access units (views into `buf`, each beginning with its
 * first start code) using the codec's access unit boundary rules.
 */
export function splitAccessUnits(buf: Buffer, codec: VideoCodec): Buffer[] {
  const { starts, ends, codeStarts } = findNalUnits(buf);
  const units: Buffer[] = [];
  let auStart = -1;
  let vclSeen = false;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] ?? 0;
    const e = ends[i] ?? 0;
    const code = codeStarts[i] ?? 0;
    if (auStart < 0) auStart = code;
    else if (startsAccessUnit(codec, buf, s, e, vclSeen)) {
      units.push(buf.subarray(auStart, code));
      auStart = code;
      vclSeen = false;
    }
    if (isVclNal(codec, nalType(codec, buf[s] ?? 0))) vclSeen = true;
  }
  if (auStart >= 0) units.push(buf.subarray(auStart));
  return units;
}

/** Writes NAL units (without start codes) as an Annex B buffer with 4-byte start codes. */
export function joinAnnexB(nalUnits: readonly Buffer[]): Buffer {
  let size = 0;
  for (const n of nalUnits) size += 4 + n.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const n of nalUnits) {
    out.writeUInt32BE(1, at);
    n.copy(out, at + 4);
    at += 4 + n.length;
  }
  return out;
}
