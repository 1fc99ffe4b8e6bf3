import type { AccessUnit, AudioParams, VideoParams } from '../../codec/types';
import { initSegment, mediaSegment } from '../fmp4';
import { audioParamsOf, videoParamsOf } from '../http/inband-params';

export interface Fmp4Built {
  data: Buffer;
  /** Name of the init segment (EXT-X-MAP) this segment needs. */
  map: string;
}

/**
 * The fMP4 side of HLS: media segments from a segment's access units, and the init segments
 * they need. Parameters come from each segment's key frame, so a new resolution gets a new
 * init segment under a new name (`init.mp4`, then `init-1.mp4`, ...).
 */
export class Fmp4Segments {
  private origin = -1;
  private audio: AudioParams | undefined;
  private current: { name: string; data: Buffer } | null = null;
  private readonly inits = new Map<string, Buffer>();
  private version = 0;

  constructor(audio?: AudioParams) {
    this.audio = audio?.codec === 'aac' ? audio : undefined;
  }

  /** Null when the segment has no key frame with parameter sets (nothing a player could start on). */
  build(sequence: number, frames: readonly AccessUnit[], videoEndDts: number | undefined, fallbackVideo: VideoParams | undefined): Fmp4Built | null {
    const key = frames.find((f) => f.kind === 'video' && f.keyframe);
    const video = (key && videoParamsOf(key)) ?? fallbackVideo;
    if (!video || !key) return null;
    if (!this.audio) {
      const aac = frames.find((f) => f.kind === 'audio' && f.codec === 'aac');
      this.audio = aac && audioParamsOf(aac);
    }
    const init = initSegment(video, this.audio);
    if (!this.current || !this.current.data.equals(init)) {
      this.current = { name: this.version === 0 ? 'init.mp4' : `init-${this.version}.mp4`, data: init };
      this.version++;
      this.inits.set(this.current.name, init);
    }
    if (this.origin < 0) this.origin = key.dts;
    const options = { audio: this.audio !== undefined, ...(videoEndDts !== undefined ? { videoEndDts } : {}) };
    return { data: mediaSegment(sequence + 1, frames, this.origin, options), map: this.current.name };
  }

  /** Timestamps jumped (a discontinuity): decode times restart from the next segment. */
  restartTimeline(): void {
    this.origin = -1;
  }

  init(name: string): Buffer | null {
    return this.inits.get(name) ?? null;
  }

  /** Forgets init segments no listed or retained segment refers to. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of [...this.inits.keys()]) if (!names.has(name) && name !== this.current?.name) this.inits.delete(name);
  }
}
