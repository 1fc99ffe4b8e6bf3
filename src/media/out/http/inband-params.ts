import { parseAdtsHeader } from '../../codec/adts';
import { splitAnnexB } from '../../codec/annexb';
import { nalType } from '../../codec/nal-unit';
import { ParameterSetCache, parameterSetBit } from '../../codec/parameter-sets';
import type { AccessUnit, AudioParams, VideoParams } from '../../codec/types';

/**
 * Codec parameters read from a frame itself, for a stream whose parameters were not announced
 * (or changed without notice): a key frame carries its parameter sets, an ADTS header its rate.
 */
export function videoParamsOf(au: AccessUnit): VideoParams | undefined {
  if (au.kind !== 'video' || !au.keyframe || (au.codec !== 'h264' && au.codec !== 'h265')) return undefined;
  const codec = au.codec;
  const cache = new ParameterSetCache();
  for (const nal of au.nalUnits ?? splitAnnexB(au.data)) {
    const bit = parameterSetBit(codec, nalType(codec, nal[0] ?? 0));
    if (bit !== 0) cache.note(bit, nal);
  }
  return cache.takeParams(codec);
}

export function audioParamsOf(au: AccessUnit): AudioParams | undefined {
  if (au.kind !== 'audio') return undefined;
  if (au.codec === 'g711a' || au.codec === 'g711u') return { kind: 'audio', codec: au.codec, sampleRate: 8000, channels: 1 };
  if (au.codec !== 'aac') return undefined;
  const adts = parseAdtsHeader(au.data);
  if (adts === null || adts.channelConfig === 0) return undefined;
  return { kind: 'audio', codec: 'aac', sampleRate: adts.sampleRate, channels: adts.channelConfig };
}
