import type { AccessUnit } from '../codec/types';

export interface OutputTimes {
  pts: number;
  dts: number;
}

/** Where the output timeline starts: a second in, so no timestamp or PCR derived from it goes negative. */
const FIRST_OUT_DTS = 90000;

/**
 * Maps recorded timestamps onto the one timeline players see. Recorded media comes in stretches
 * (a segment file, the run after a seek) whose own timestamps are unrelated to each other; each
 * stretch is pinned so its first key frame takes the next frame slot after the last video frame
 * sent, and inside a stretch output time advances by media time divided by the speed. So the
 * output runs at wall-clock rate at any speed, never steps back and never jumps.
 */
export class OutputTimeline {
  /** Media ticks between video frames at 1x, learnt from the recording. */
  frameTicks = 3600;
  private speed: number;
  private anchorMedia = 0;
  private anchorOut = FIRST_OUT_DTS;
  /** The stretch has begun but nothing of it was sent: its anchor follows the speed until then. */
  private anchorOpen = false;
  /** Media ticks from the last video frame sent to the new stretch, when the recording runs on without a break. */
  private anchorGap = 0;
  private lastMedia = 0;
  private lastOut = 0;
  private lastVideoOut = -1;
  private lastAudioOut = -1;

  constructor(speed: number) {
    this.speed = speed;
  }

  /**
   * A new stretch starts with this key frame's decoding time. `gapTicks`: recorded time since the
   * last video frame sent when the recording continues without a break (the next file of a
   * contiguous recording), so that time is kept (it is more than a frame when only key frames
   * are sent); 0 after a seek or a gap, where the stretch just takes the next frame slot.
   */
  beginStretch(mediaDts: number, gapTicks = 0): void {
    this.anchorMedia = mediaDts;
    this.anchorOpen = true;
    this.anchorGap = gapTicks;
  }

  /** From the last unit sent on, media time runs at the new speed. */
  setSpeed(speed: number): void {
    if (!this.anchorOpen) {
      this.anchorMedia = this.lastMedia;
      this.anchorOut = this.lastOut;
    }
    this.speed = speed;
  }

  /** Output times for `au`, or null for audio that would overlap audio already sent. Changes nothing. */
  place(au: AccessUnit): OutputTimes | null {
    const anchorOut = this.anchorOpen ? this.nextSlot() : this.anchorOut;
    let dts = anchorOut + Math.round((au.dts - this.anchorMedia) / this.speed);
    if (au.kind === 'audio') {
      if (dts <= this.lastAudioOut) return null;
      return { pts: dts, dts };
    }
    if (dts <= this.lastVideoOut) dts = this.lastVideoOut + 1;
    return { pts: dts + Math.max(0, Math.round((au.pts - au.dts) / this.speed)), dts };
  }

  /** `au` was sent at `times` (from place()). */
  commit(au: AccessUnit, times: OutputTimes): void {
    if (this.anchorOpen) {
      this.anchorOut = this.nextSlot();
      this.anchorOpen = false;
    }
    this.lastMedia = au.dts;
    this.lastOut = this.anchorOut + Math.round((au.dts - this.anchorMedia) / this.speed);
    if (au.kind === 'video') this.lastVideoOut = times.dts;
    else this.lastAudioOut = times.dts;
  }

  /** Output time of the last unit sent (any track); 0 before the first. */
  get lastSent(): number {
    return Math.max(this.lastVideoOut, this.lastAudioOut, 0);
  }

  private nextSlot(): number {
    // Video decides: a picture one slot after the last one. Audio of the new stretch that would
    // overlap what was sent is dropped by place().
    const last = this.lastVideoOut >= 0 ? this.lastVideoOut : this.lastAudioOut;
    if (last < 0) return FIRST_OUT_DTS;
    return last + Math.max(1, Math.round(Math.max(this.frameTicks, this.anchorGap) / this.speed));
  }
}
