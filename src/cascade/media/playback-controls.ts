import type { PlaybackControl } from '../../media/node/types';
import type { MansrtspRequest } from '../../sip/mansrtsp';

/** The speeds our recording player plays (RecordingPlayer MIN_SPEED..MAX_SPEED). */
const MIN_SPEED = 0.5;
const MAX_SPEED = 8;

export type ControlPlan = { ok: true; teardown: boolean; controls: PlaybackControl[] } | { ok: false; status: number; reason: string };

/**
 * What an upper's MANSRTSP command (GB/T 28181 Annex B) asks of a playback that covers a range
 * starting at `rangeStart` (ms UTC): PAUSE pauses; PLAY sets the speed (Scale), seeks (Range:
 * npt seconds from the range start, or clock time) and always resumes. Speeds outside what the
 * player does are clamped; reverse play is refused.
 */
export function controlsFor(request: MansrtspRequest, rangeStart: number): ControlPlan {
  if (request.method === 'TEARDOWN') return { ok: true, teardown: true, controls: [] };
  if (request.method === 'PAUSE') return { ok: true, teardown: false, controls: [{ action: 'pause' }] };
  const controls: PlaybackControl[] = [];
  if (request.scale !== null) {
    if (request.scale < 0) return { ok: false, status: 501, reason: 'Reverse Play Not Supported' };
    controls.push({ action: 'speed', speed: Math.min(MAX_SPEED, Math.max(MIN_SPEED, request.scale)) });
  }
  const start = request.range?.start;
  if (typeof start === 'number') {
    const time = request.range?.unit === 'clock' ? start * 1000 : rangeStart + start * 1000;
    controls.push({ action: 'seek', time: Math.round(time) });
  }
  controls.push({ action: 'resume' });
  return { ok: true, teardown: false, controls };
}

/**
 * The same plan for a device's own playback: a device's PLAY with Scale or Range resumes by
 * itself, so only a bare PLAY is sent as a resume.
 */
export function deviceControls(controls: readonly PlaybackControl[]): PlaybackControl[] {
  const changes = controls.filter((c) => c.action !== 'resume');
  return changes.length > 0 ? changes : [...controls];
}
