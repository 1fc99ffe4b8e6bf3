import { findNalUnits, splitAccessUnits } from '../codec/annexb';
import { H264, H265, h264SliceType, isRandomAccessNal, isVclNal, nalType } from '../codec/nal-unit';
import { ParameterSetCache, parameterSetBit } from '../codec/parameter-sets';
import type { AccessUnit, VideoCodec, VideoParams } from '../codec/types';

export interface VideoUnitEvents {
  onFrame(au: AccessUnit): void;
  onParams(params: VideoParams): void;
  /** A PES or part of one that held no picture we could use. */
  onDropped(): void;
}

/** Parameter sets and SEI waiting for their picture; more than this is not that. */
const MAX_CARRIED_BYTES = 64 * 1024;
const DEFAULT_FRAME_TICKS = 3600;

/**
 * Turns the payload of video PES packets (Annex B, normally one access unit each, as our
 * recorder writes them) into access units: key frame flag from the NAL types, parameter sets
 * published when they change and put in front of key frames that lack them, the AUD a TS muxer
 * adds removed again (live access units have none).
 */
export class VideoUnitBuilder {
  private readonly parameterSets = new ParameterSetCache();
  private carried: Buffer | null = null;
  private lastPts = -1;
  private lastDts = 0;
  private frameTicks = DEFAULT_FRAME_TICKS;
  params: VideoParams | undefined;

  constructor(
    readonly codec: VideoCodec,
    private readonly events: VideoUnitEvents,
  ) {}

  /** `pts`/`dts` unwrapped 90 kHz, or -1 when the PES had none (the frame is timed after the last). */
  pes(payload: Buffer, pts: number, dts: number): void {
    const units = splitAccessUnits(payload, this.codec);
    if (units.length === 0) {
      this.events.onDropped();
      return;
    }
    for (let i = 0; i < units.length; i++) {
      let p = pts;
      let d = dts;
      if (i > 0 || p < 0) {
        if (this.lastPts < 0) {
          this.events.onDropped(); // nothing to time it by
          continue;
        }
        p = this.lastPts + this.frameTicks;
        d = this.lastDts + this.frameTicks;
      }
      if (this.emit(units[i] as Buffer, p, d)) {
        if (this.lastPts >= 0 && d - this.lastDts > 0 && d - this.lastDts < 90000) this.frameTicks = d - this.lastDts;
        this.lastPts = p;
        this.lastDts = d;
      }
    }
  }

  /** Emits one access unit; false when it held no picture (carried to the next) or was dropped. */
  private emit(data: Buffer, pts: number, dts: number): boolean {
    const codec = this.codec;
    const { starts, ends, codeStarts } = findNalUnits(data);
    const aud = codec === 'h264' ? H264.AUD : H265.AUD;
    let vcl = false;
    let keyframe = false;
    let sets = 0;
    let firstSlice = -1;
    let from = 0;
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i] ?? 0;
      const type = nalType(codec, data[s] ?? 0);
      if (i === from && type === aud) {
        from = i + 1;
        continue;
      }
      if (isVclNal(codec, type)) {
        vcl = true;
        if (firstSlice < 0) firstSlice = i;
        if (isRandomAccessNal(codec, type)) keyframe = true;
        continue;
      }
      const bit = parameterSetBit(codec, type);
      if (bit) {
        sets |= bit;
        this.parameterSets.note(bit, data.subarray(s, ends[i]));
      }
    }
    if (from >= starts.length) return false; // an AUD alone
    const body = data.subarray(codeStarts[from] ?? data.length);
    if (!vcl) {
      this.carry(body);
      return false;
    }
    if (!keyframe && codec === 'h264' && sets & 2 && firstSlice >= 0) {
      // An I picture that is not IDR but comes with its SPS: some cameras' GOPs start that way.
      const t = h264SliceType(data, starts[firstSlice] ?? 0, ends[firstSlice] ?? 0);
      keyframe = t === 2 || t === 7 || t === 4 || t === 9;
    }
    const params = this.parameterSets.takeParams(codec);
    if (params) {
      this.params = params;
      this.events.onParams(params);
    }
    const prefix: Buffer[] = [];
    if (this.carried) {
      const carried = this.carried;
      this.carried = null;
      const l = findNalUnits(carried);
      for (const s of l.starts) sets |= parameterSetBit(codec, nalType(codec, carried[s] ?? 0));
      prefix.push(carried);
    }
    if (keyframe) prefix.push(...this.parameterSets.missing(codec, sets));
    let out = body;
    let nalUnits: Buffer[];
    if (prefix.length > 0) {
      out = Buffer.concat([...prefix, body]);
      const l = findNalUnits(out);
      nalUnits = l.starts.map((s, i) => out.subarray(s, l.ends[i]));
    } else {
      nalUnits = [];
      for (let i = from; i < starts.length; i++) nalUnits.push(data.subarray(starts[i], ends[i]));
    }
    this.events.onFrame({ kind: 'video', codec, pts, dts, keyframe, data: out, nalUnits });
    return true;
  }

  private carry(group: Buffer): void {
    if (this.carried && this.carried.length + group.length > MAX_CARRIED_BYTES) {
      this.events.onDropped();
      this.carried = null;
    }
    if (group.length > MAX_CARRIED_BYTES) {
      this.events.onDropped();
      return;
    }
    this.carried = this.carried ? Buffer.concat([this.carried, group]) : Buffer.from(group);
  }
}
