import { parseAdtsHeader } from '../../../../../src/media/codec/adts';
import type { AccessUnit, AudioParams, VideoCodec } from '../../../../../src/media/codec/types';
import { videoParamsOf } from '../../../../../src/media/out/http/inband-params';
import { MediaSource, type MediaSourceOptions } from '../../../../../src/media/source/media-source';
import { readMedia } from '../../../helpers/media-files';
import { framesOf } from '../../../helpers/ps-stream';

export const FRAME_MS = 40;
const FRAME_TICKS = 3600;
const BASE_PTS = 900_000;

export interface LiveFeedOptions {
  codec: VideoCodec;
  /** A media-files recipe name; the clip loops. */
  clip: string;
  audio?: 'aac' | 'g711a';
  source?: MediaSourceOptions;
}

export interface LiveFeed {
  source: MediaSource;
  /** Video frames pushed so far. */
  readonly pushed: number;
  stop(): void;
}

interface AudioTrack {
  params: AudioParams;
  frames: Buffer[];
  ticks: number;
}

/**
 * A MediaSource fed in real time, the way the demuxer feeds it from a camera: 25 fps video from
 * an ffmpeg-made clip (looped), optionally with AAC or G.711 audio interleaved by time.
 */
export function startLiveFeed(name: string, options: LiveFeedOptions): LiveFeed {
  const source = new MediaSource(name, options.source);
  const frames = framesOf(readMedia(options.clip), options.codec, 0);
  const first = frames[0];
  if (!first?.keyframe) throw new Error(`${options.clip} does not start with a key frame`);
  const videoParams = videoParamsOf(unit('video', options.codec, first.data, 0, true));
  if (!videoParams) throw new Error(`${options.clip} has no parameter sets`);
  source.setParams(videoParams);
  const audio = options.audio ? audioTrack(options.audio) : undefined;
  if (audio) source.setParams(audio.params);

  const started = performance.now();
  let video = 0;
  let audioIndex = 0;
  const tick = (): void => {
    const due = Math.floor((performance.now() - started) / FRAME_MS) + 1;
    while (video < due) {
      const f = frames[video % frames.length];
      if (!f) return;
      const pts = BASE_PTS + video * FRAME_TICKS;
      source.push(unit('video', options.codec, f.data, pts, f.keyframe));
      video++;
      while (audio && BASE_PTS + audioIndex * audio.ticks <= pts) {
        const data = audio.frames[audioIndex % audio.frames.length] ?? Buffer.alloc(0);
        source.push(unit('audio', audio.params.codec, data, BASE_PTS + audioIndex * audio.ticks, true));
        audioIndex++;
      }
    }
  };
  tick();
  const timer = setInterval(tick, 10);
  return {
    source,
    get pushed() {
      return video;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function unit(kind: 'video' | 'audio', codec: AccessUnit['codec'], data: Buffer, pts: number, keyframe: boolean): AccessUnit {
  return { kind, codec, pts, dts: pts, keyframe, data };
}

function audioTrack(codec: 'aac' | 'g711a'): AudioTrack {
  if (codec === 'g711a') {
    const alaw = readMedia('g711a-8k.alaw');
    const frames: Buffer[] = [];
    for (let at = 0; at + 320 <= alaw.length; at += 320) frames.push(alaw.subarray(at, at + 320));
    return { params: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 }, frames, ticks: 3600 };
  }
  const aac = readMedia('aac-8k.aac');
  const frames: Buffer[] = [];
  let rate = 8000;
  for (let at = 0; at < aac.length; ) {
    const h = parseAdtsHeader(aac, at);
    if (!h) break;
    rate = h.sampleRate;
    frames.push(aac.subarray(at, at + h.frameLength));
    at += h.frameLength;
  }
  return { params: { kind: 'audio', codec: 'aac', sampleRate: rate, channels: 1 }, frames, ticks: Math.round((1024 * 90000) / rate) };
}
