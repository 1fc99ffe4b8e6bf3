import { findNalUnits, type NalLayout } from './annexb';
import { h264SliceType, isRandomAccessNal, isVclNal, nalType } from './nal-unit';
import { ParameterSetCache, parameterSetBit } from './parameter-sets';
import type { AccessUnit, VideoCodec, VideoParams } from './types';

/**
 * What every video demuxer does with the NAL units of one access unit once it has cut them out:
 * key frame flag from the NAL types, parameter sets remembered and published when they change,
 * units without a picture carried in front of the next one, missing parameter sets put in front
 * of key frames. Keeps the state of the last `scan` in fields so the hot path allocates nothing
 * beyond the access unit itself.
 */
export class AccessUnitBuilder {
  private readonly parameterSets = new ParameterSetCache();
  private keyframe = false;
  private sets = 0;
  private firstSlice = -1;

  /** `concat` joins the pieces of a unit that gets a prefix (the PS path uses slab memory). */
  constructor(
    private readonly onParams: (params: VideoParams) => void,
    private readonly concat: (pieces: Buffer[]) => Buffer,
  ) {}

  /** Forgets the parameter sets (the codec changed). */
  reset(): void {
    this.parameterSets.reset();
  }

  /** Notes the parameter sets among NAL units [from, to) of `layout`; whether they hold a picture. */
  scan(codec: VideoCodec, data: Buffer, layout: NalLayout, from: number, to: number): boolean {
    let vcl = false;
    let keyframe = false;
    let sets = 0;
    let firstSlice = -1;
    for (let i = from; i < to; i++) {
      const s = layout.starts[i] ?? 0;
      const type = nalType(codec, data[s] ?? 0);
      if (isVclNal(codec, type)) {
        vcl = true;
        if (firstSlice < 0) firstSlice = i;
        if (isRandomAccessNal(codec, type)) keyframe = true;
        continue;
      }
      const bit = parameterSetBit(codec, type);
      if (bit) {
        sets |= bit;
        this.parameterSets.note(bit, data.subarray(s, layout.ends[i]));
      }
    }
    this.keyframe = keyframe;
    this.sets = sets;
    this.firstSlice = firstSlice;
    return vcl;
  }

  /**
   * The access unit of NAL units [from, to) after a `scan` that found a picture, with `carried`
   * (NAL units without a picture that came before it) in front. Publishes new parameters first.
   */
  build(codec: VideoCodec, data: Buffer, layout: NalLayout, from: number, to: number, carried: Buffer | null, pts: number, dts: number): AccessUnit {
    let keyframe = this.keyframe;
    let sets = this.sets;
    const firstSlice = this.firstSlice;
    if (!keyframe && codec === 'h264' && sets & 2 && firstSlice >= 0) {
      // An I picture that is not IDR but comes with its SPS: some cameras' GOPs start that way.
      const t = h264SliceType(data, layout.starts[firstSlice] ?? 0, layout.ends[firstSlice] ?? 0);
      keyframe = t === 2 || t === 7 || t === 4 || t === 9;
    }
    const params = this.parameterSets.takeParams(codec);
    if (params) this.onParams(params);
    const prefix: Buffer[] = [];
    if (carried) {
      const l = findNalUnits(carried);
      for (const s of l.starts) sets |= parameterSetBit(codec, nalType(codec, carried[s] ?? 0));
      prefix.push(carried);
    }
    if (keyframe) prefix.push(...this.parameterSets.missing(codec, sets));
    const start = layout.codeStarts[from] ?? data.length;
    const end = to < layout.starts.length ? (layout.codeStarts[to] ?? data.length) : data.length;
    let out = data.subarray(start, end);
    let nalUnits: Buffer[];
    if (prefix.length > 0) {
      out = this.concat([...prefix, out]);
      const l = findNalUnits(out);
      nalUnits = l.starts.map((s, i) => out.subarray(s, l.ends[i]));
    } else {
      nalUnits = [];
      for (let i = from; i < to; i++) nalUnits.push(data.subarray(layout.starts[i], layout.ends[i]));
    }
    return { kind: 'video', codec, pts, dts, keyframe, data: out, nalUnits };
  }
}
