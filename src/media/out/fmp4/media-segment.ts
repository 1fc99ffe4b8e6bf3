import type { AccessUnit } from '../../codec/types';
import { box, fullBox, u32, u64 } from './boxes';
import { rawAacSample, lengthPrefixedSample } from './sample-data';
import { AUDIO_TRACK_ID, VIDEO_TRACK_ID } from './tracks';

export interface MediaSegmentOptions {
  /** Decode time (90 kHz) of the video frame after this segment: the last frame's duration. */
  videoEndDts?: number;
  /** Whether the init segment has an audio track; without one, audio frames are left out. Default true. */
  audio?: boolean;
}

interface TrackRun {
  id: number;
  baseTime: number;
  samples: Buffer[];
  durations: number[];
  flags: number[];
  offsets: number[];
}

// sample_depends_on = 2 (depends on no other sample); non-key: depends_on = 1, is_non_sync.
const SYNC_SAMPLE = 0x02000000;
const NON_SYNC_SAMPLE = 0x01010000;
/** data-offset, sample duration, size, flags and composition offset present. */
const TRUN_FLAGS = 0x000f01;
const DEFAULT_BASE_IS_MOOF = 0x020000;
const DEFAULT_VIDEO_TICKS = 3600;
const DEFAULT_AUDIO_TICKS = 1920;

/**
 * One fMP4 media segment (moof + mdat) for access units in decode order: a traf per track,
 * decode times relative to `baseDts` (the stream's time origin, 90 kHz).
 */
export function mediaSegment(sequence: number, frames: readonly AccessUnit[], baseDts: number, options: MediaSegmentOptions = {}): Buffer {
  const video = frames.filter((f) => f.kind === 'video' && (f.codec === 'h264' || f.codec === 'h265'));
  const audio = options.audio === false ? [] : frames.filter((f) => f.kind === 'audio' && f.codec === 'aac');
  const runs: TrackRun[] = [];
  if (video.length > 0) runs.push(trackRun(VIDEO_TRACK_ID, video, baseDts, options.videoEndDts, DEFAULT_VIDEO_TICKS, lengthPrefixedSample));
  if (audio.length > 0) runs.push(trackRun(AUDIO_TRACK_ID, audio, baseDts, undefined, DEFAULT_AUDIO_TICKS, rawAacSample));

  // The moof's size does not depend on the data offsets it holds, so a first pass measures it.
  const moofSize = moof(sequence, runs, runs.map(() => 0)).length;
  const dataOffsets: number[] = [];
  let at = moofSize + 8;
  for (const run of runs) {
    dataOffsets.push(at);
    for (const s of run.samples) at += s.length;
  }
  const mdat = box('mdat', ...runs.flatMap((r) => r.samples));
  return Buffer.concat([moof(sequence, runs, dataOffsets), mdat]);
}

function trackRun(id: number, frames: AccessUnit[], baseDts: number, endDts: number | undefined, fallbackTicks: number, sample: (au: AccessUnit) => Buffer): TrackRun {
  const durations: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const next = frames[i + 1]?.dts ?? endDts;
    const dts = frames[i]?.dts ?? 0;
    const delta = next !== undefined ? next - dts : (durations[i - 1] ?? fallbackTicks);
    durations.push(delta > 0 ? delta : (durations[i - 1] ?? fallbackTicks));
  }
  return {
    id,
    baseTime: Math.max(0, (frames[0]?.dts ?? baseDts) - baseDts),
    samples: frames.map(sample),
    durations,
    flags: frames.map((f) => (f.kind === 'audio' || f.keyframe ? SYNC_SAMPLE : NON_SYNC_SAMPLE)),
    offsets: frames.map((f) => f.pts - f.dts),
  };
}

function moof(sequence: number, runs: readonly TrackRun[], dataOffsets: readonly number[]): Buffer {
  const trafs = runs.map((run, i) => {
    const entries = Buffer.allocUnsafe(16 * run.samples.length);
    run.samples.forEach((s, k) => {
      entries.writeUInt32BE(run.durations[k] ?? 0, 16 * k);
      entries.writeUInt32BE(s.length, 16 * k + 4);
      entries.writeUInt32BE(run.flags[k] ?? 0, 16 * k + 8);
      entries.writeInt32BE(run.offsets[k] ?? 0, 16 * k + 12); // version 1: signed
    });
    const trun = fullBox('trun', 1, TRUN_FLAGS, u32(run.samples.length, dataOffsets[i] ?? 0), entries);
    return box('traf', fullBox('tfhd', 0, DEFAULT_BASE_IS_MOOF, u32(run.id)), fullBox('tfdt', 1, 0, u64(run.baseTime)), trun);
  });
  return box('moof', fullBox('mfhd', 0, 0, u32(sequence)), ...trafs);
}
