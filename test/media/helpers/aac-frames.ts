import { parseAdtsHeader } from '../../../src/media/codec/adts';
import { readMedia } from './media-files';

/** The ADTS frames of the 8 kHz mono AAC fixture (`aac-8k.aac`), as views. */
export function aac8kFrames(): Buffer[] {
  const aac = readMedia('aac-8k.aac');
  const adts: Buffer[] = [];
  for (let at = 0; at < aac.length; ) {
    const h = parseAdtsHeader(aac, at);
    if (!h) break;
    adts.push(aac.subarray(at, at + h.frameLength));
    at += h.frameLength;
  }
  return adts;
}
