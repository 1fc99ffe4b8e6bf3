import { aacConfigFromAdts, parseAdtsHeader } from '../../../../../src/media/codec/adts';
import type { AccessUnit, AudioParams, MediaParams, VideoCodec } from '../../../../../src/media/codec/types';
import { MediaSource } from '../../../../../src/media/source/media-source';
import { readMedia } from '../../../helpers/media-files';
import { demuxPacks, framesOf, muxFrames } from '../../../helpers/ps-stream';

export const FPS = 25;
const FRAME_TICKS = 90000 / FPS;
const FIRST_PTS = 90000;

export interface Clip {
  params: MediaParams[];
  /** One loop's access units in presentation order. */
  units: AccessUnit[];
  /** 90 kHz ticks one loop lasts. */
  duration: number;
}

/** A 2 s test clip as the PS pipeline delivers it (demuxed, with parameters), with optional audio. */
export function clip(codec: VideoCodec, audio: 'aac' | 'g711a' | 'none' = 'none'): Clip {
  const es = readMedia(codec === 'h264' ? 'h264-640x360.h264' : 'h265-640x360.hevc');
  const frames = framesOf(es, codec, FIRST_PTS);
  const demuxed = demuxPacks(muxFrames(frames, codec), frames.map((f) => f.pts));
  const duration = frames.length * FRAME_TICKS;
  const params: MediaParams[] = [...demuxed.params];
  const units: AccessUnit[] = [...demuxed.frames];
  if (audio === 'aac') {
    const aac = readMedia('aac-8k.aac');
    for (let at = 0, i = 0; at < aac.length; i++) {
      const h = parseAdtsHeader(aac, at);
      if (h === null || at + h.frameLength > aac.length) break;
      const pts = FIRST_PTS + i * 11520; // 1024 samples at 8 kHz
      if (pts >= FIRST_PTS + duration) break;
      if (i === 0) params.push({ kind: 'audio', codec: 'aac', sampleRate: h.sampleRate, channels: h.channelConfig, aacConfig: aacConfigFromAdts(h) });
      units.push({ kind: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: aac.subarray(at, at + h.frameLength) });
      at += h.frameLength;
    }
  } else if (audio === 'g711a') {
    const alaw = readMedia('g711a-8k.alaw');
    const p: AudioParams = { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 };
    params.push(p);
    for (let at = 0; at + 320 <= alaw.length && at / 8 < (duration / 90); at += 320) {
      const pts = FIRST_PTS + at * (90000 / 8000);
      units.push({ kind: 'audio', codec: 'g711a', pts, dts: pts, keyframe: true, data: alaw.subarray(at, at + 320) });
    }
  }
  units.sort((a, b) => a.pts - b.pts || (a.kind === 'video' ? -1 : 1));
  return { params, units, duration };
}

/**
 * Pushes a clip into a MediaSource in real time, looping it with growing timestamps, as a
 * camera's stream would arrive.
 */
export class LiveFeed {
  readonly source: MediaSource;
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private loop = 0;
  private startedAt = 0;

  constructor(
    streamId: string,
    private readonly clip: Clip,
  ) {
    this.source = new MediaSource(streamId);
  }

  start(): this {
    for (const p of this.clip.params) this.source.setParams(p);
    this.startedAt = Date.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000 / FPS);
    return this;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const due = FIRST_PTS + ((Date.now() - this.startedAt) * 90000) / 1000;
    for (;;) {
      const au = this.clip.units[this.next];
      if (au === undefined) {
        this.next = 0;
        this.loop++;
        continue;
      }
      const shift = this.loop * this.clip.duration;
      if (au.pts + shift > due) return;
      this.source.push({ ...au, pts: au.pts + shift, dts: au.dts + shift });
      this.next++;
    }
  }
}
