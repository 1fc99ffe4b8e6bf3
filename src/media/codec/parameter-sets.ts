import type { NalLayout } from './annexb';
import { parseH264Sps } from './h264-sps';
import { parseH265Sps } from './h265-sps';
import { H264, H265, nalType } from './nal-unit';
import type { VideoCodec, VideoParams } from './types';

/** Which parameter sets a NAL unit type is, as a bit: 1 VPS, 2 SPS, 4 PPS, 0 none. */
export function parameterSetBit(codec: VideoCodec, type: number): number {
  if (codec === 'h264') return type === H264.SPS ? 2 : type === H264.PPS ? 4 : 0;
  return type === H265.VPS ? 1 : type === H265.SPS ? 2 : type === H265.PPS ? 4 : 0;
}

/** The bits a key frame needs: VPS+SPS+PPS for H.265, SPS+PPS for H.264. */
export function requiredParameterSets(codec: VideoCodec): number {
  return codec === 'h264' ? 6 : 7;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/**
 * The last VPS/SPS/PPS of a stream: tells when they change (new parameters to publish) and
 * supplies them to key frames that come without.
 */
export class ParameterSetCache {
  private sets: (Buffer | undefined)[] = [undefined, undefined, undefined];
  private changed = false;

  reset(): void {
    this.sets = [undefined, undefined, undefined];
    this.changed = false;
  }

  /** Remembers a parameter set (`bit` from parameterSetBit); copies it only when it is new. */
  note(bit: number, nal: Buffer): void {
    const index = bit === 1 ? 0 : bit === 2 ? 1 : 2;
    const known = this.sets[index];
    if (known && known.equals(nal)) return;
    this.sets[index] = Buffer.from(nal); // a copy: the frame's buffer should not stay alive for it
    this.changed = true;
  }

  /** Start code + parameter set pieces for the sets a key frame lacks (`present` bits). */
  missing(codec: VideoCodec, present: number): Buffer[] {
    const out: Buffer[] = [];
    const need = requiredParameterSets(codec) & ~present;
    this.sets.forEach((set, i) => {
      if (set && need & (1 << i)) out.push(START_CODE, set);
    });
    return out;
  }

  /** New parameters when the sets changed since the last call and are complete, else undefined. */
  takeParams(codec: VideoCodec): VideoParams | undefined {
    const [vps, sps, pps] = this.sets;
    if (!this.changed || !sps || !pps || (codec === 'h265' && !vps)) return undefined;
    this.changed = false;
    if (codec === 'h264') {
      const parsed = parseH264Sps(sps);
      const params: VideoParams = { kind: 'video', codec, width: parsed?.width ?? 0, height: parsed?.height ?? 0, profile: parsed?.profileIdc ?? 0, level: parsed?.levelIdc ?? 0, sps, pps };
      if (parsed?.fps !== undefined) params.fps = parsed.fps;
      return params;
    }
    const parsed = parseH265Sps(sps);
    return { kind: 'video', codec, width: parsed?.width ?? 0, height: parsed?.height ?? 0, profile: parsed?.profileIdc ?? 0, level: parsed?.levelIdc ?? 0, vps, sps, pps };
  }
}

/** Whether the NAL units hold an SPS of `codec` that parses: proof of the codec, unlike a header byte. */
export function hasParsableSps(codec: VideoCodec, data: Buffer, layout: NalLayout): boolean {
  const spsType = codec === 'h264' ? H264.SPS : H265.SPS;
  for (let i = 0; i < layout.starts.length; i++) {
    const s = layout.starts[i] ?? 0;
    if (nalType(codec, data[s] ?? 0) !== spsType) continue;
    const nal = data.subarray(s, layout.ends[i]);
    if ((codec === 'h264' ? parseH264Sps(nal) : parseH265Sps(nal)) !== null) return true;
  }
  return false;
}
