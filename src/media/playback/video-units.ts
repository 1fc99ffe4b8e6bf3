import { AccessUnitBuilder } from '../codec/access-unit-builder';
import { findNalUnits, splitAccessUnits } from '../codec/annexb';
import { H264, H265, nalType } from '../codec/nal-unit';
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
  private readonly units = new AccessUnitBuilder(
    (params) => {
      this.params = params;
      this.events.onParams(params);
    },
    (pieces) => Buffer.concat(pieces),
  );
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
    const layout = findNalUnits(data);
    const count = layout.starts.length;
    const aud = codec === 'h264' ? H264.AUD : H265.AUD;
    let from = 0;
    while (from < count && nalType(codec, data[layout.starts[from] ?? 0] ?? 0) === aud) from++;
    if (from >= count) return false; // an AUD alone
    if (!this.units.scan(codec, data, layout, from, count)) {
      this.carry(data.subarray(layout.codeStarts[from] ?? data.length));
      return false;
    }
    const carried = this.carried;
    this.carried = null;
    this.events.onFrame(this.units.build(codec, data, layout, from, count, carried, pts, dts));
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
