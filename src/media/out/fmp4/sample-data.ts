import { parseAdtsHeader } from '../../codec/adts';
import { splitAnnexB } from '../../codec/annexb';
import { H264, H265, nalType } from '../../codec/nal-unit';
import type { AccessUnit, VideoCodec } from '../../codec/types';

/**
 * A video access unit as an MP4 sample: each NAL unit behind a 4-byte length instead of a start
 * code. Parameter sets and delimiters are left out: hvc1/avc1 keep them in the sample entry.
 */
export function lengthPrefixedSample(au: AccessUnit): Buffer {
  const codec: VideoCodec = au.codec === 'h265' ? 'h265' : 'h264';
  const nals = (au.nalUnits ?? splitAnnexB(au.data)).filter((n) => !isOutOfBand(codec, nalType(codec, n[0] ?? 0)));
  let size = 0;
  for (const n of nals) size += 4 + n.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const n of nals) {
    at = out.writeUInt32BE(n.length, at);
    at += n.copy(out, at);
  }
  return out;
}

function isOutOfBand(codec: VideoCodec, type: number): boolean {
  if (codec === 'h264') return type === H264.SPS || type === H264.PPS || type === H264.AUD;
  return type === H265.VPS || type === H265.SPS || type === H265.PPS || type === H265.AUD;
}

/** An AAC frame without its ADTS header (MP4 carries raw AAC); a raw frame stays as it is. */
export function rawAacSample(au: AccessUnit): Buffer {
  const adts = parseAdtsHeader(au.data);
  if (!adts) return au.data;
  return au.data.subarray(adts.headerLength, Math.min(adts.frameLength, au.data.length));
}
