import { ptsDelta } from '../record/ts-scan';
import type { KeyFrame, SegmentProbe } from './segment-probe';
import type { SegmentRef } from './types';

/** A segment that passed its probe, with its absolute path. */
export interface UsableSegment {
  ref: SegmentRef;
  file: string;
  probe: SegmentProbe;
}

export interface ConcatEntry {
  file: string;
  /** File timestamp (µs, as ffmpeg reads the file) where the concat demuxer starts this file: a key frame's DTS. */
  inpointUs: number;
  /** How much of the concat timeline this file takes, µs from its in point. */
  durationUs: number;
}

export interface ClipPlan {
  entries: ConcatEntry[];
  /** Output time (µs) where every stream stops, or null to copy to the last file's end. */
  cutUs: number | null;
  /** Length of the clip as planned, µs: what progress is measured against. */
  expectedUs: number;
  startedAt: number;
  endedAt: number;
}

const ticksToUs = (ticks: number) => Math.round((ticks * 100) / 9);

/**
 * Why this shape (ffmpeg 5.1's concat demuxer with `-c copy`):
 * - The start is found here, not by ffmpeg: the last random-access video PES at or before `from`
 *   in the first file. Its DTS is that file's `inpoint`, so the demuxer's seek lands on the key
 *   frame itself (ffmpeg's TS seek takes any packet with dts <= target, and stream copy drops
 *   everything before the first key frame it sees: an inpoint at `from` would lose up to a GOP
 *   whenever from is not a key frame, and `-ss` on the input leaves pre-roll behind an edit list,
 *   so the file would not start with a picture).
 * - Every file gets an explicit `inpoint` (its first frame) and `duration` (measured from its
 *   own timestamps), so the output timeline is known here exactly, not ffmpeg's estimate.
 * - The end is output `-to` on that timeline (with `-copyts`, no shift), not the last file's
 *   `outpoint`: outpoint ends the file at the first packet of any stream past it, so audio muxed
 *   ahead of video would cut the video early; `-to` stops each stream at its own first packet
 *   at or after `to`. The clip thus ends at the first frame at or after `to` (exact to a frame).
 * Limitation: a file whose PTS wraps (33 bits, every 26.5 h) gets ffmpeg's unwrapped clock,
 * which the in point, taken as carried, may not match.
 *
 * Lays the segments end to end on the concat demuxer's timeline, which starts each file at its
 * in point and gives it the stated duration, so that a wall-clock instant in the last file maps
 * to one output time. Gaps between files disappear: the clip holds what was recorded.
 * `segments` in start order, the first one's start key frame found.
 */
export function planClip(segments: readonly UsableSegment[], firstKey: KeyFrame, to: number): ClipPlan {
  const entries: ConcatEntry[] = [];
  let timelineUs = 0;
  let cutUs: number | null = null;
  segments.forEach(({ ref, file, probe }, i) => {
    const startDts = i === 0 ? firstKey.dts : probe.firstDts;
    // Ticks from the segment's start instant (its first frame's PTS) back to the in point.
    const inpointLead = ptsDelta(startDts, probe.firstPts);
    const mediaTicks = probe.mediaTicks ?? (ref.end - ref.start) * 90;
    const durationUs = Math.max(1, ticksToUs(mediaTicks + inpointLead));
    entries.push({ file, inpointUs: ticksToUs(startDts), durationUs });
    if (i === segments.length - 1 && to < ref.start + mediaTicks / 90) {
      cutUs = timelineUs + ticksToUs((to - ref.start) * 90 + inpointLead);
    }
    timelineUs += durationUs;
  });
  const first = segments[0];
  const last = segments[segments.length - 1];
  const lastMediaMs = last ? (last.probe.mediaTicks ?? (last.ref.end - last.ref.start) * 90) / 90 : 0;
  return {
    entries,
    cutUs,
    expectedUs: cutUs ?? timelineUs,
    startedAt: first ? first.ref.start + Math.round(firstKey.offsetTicks / 90) : 0,
    endedAt: last ? last.ref.start + Math.round(Math.min(to - last.ref.start, lastMediaMs)) : 0,
  };
}

/** The ffconcat list for the plan. Paths go in as `file:` URLs, quoted the way ffmpeg unquotes them. */
export function concatList(entries: readonly ConcatEntry[]): string {
  const lines = ['ffconcat version 1.0'];
  for (const e of entries) {
    lines.push(`file ${quote(`file:${e.file}`)}`, `inpoint ${seconds(e.inpointUs)}`, `duration ${seconds(e.durationUs)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function seconds(us: number): string {
  const sign = us < 0 ? '-' : '';
  const abs = Math.abs(us);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}

/** ffmpeg's av_get_token: a single-quoted string is literal, and a quote is written as '\''. */
function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
