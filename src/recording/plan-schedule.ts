import type { RecordingPlan, RecordingWindow } from '../storage/types';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Minutes since local midnight for 'HH:MM' ('24:00' is the end of the day), or null. */
export function minutesOf(hhmm: string): number | null {
  if (!HHMM.test(hhmm)) return null;
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** A window is valid when its day is 0-6 (Sunday first) and it starts before it ends. */
export function windowProblem(w: RecordingWindow): string | null {
  if (!Number.isInteger(w.day) || w.day < 0 || w.day > 6) return 'day must be 0 (Sunday) to 6';
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === null || end === null) return 'start and end must be HH:MM (24:00 allowed as an end)';
  if (start >= end) return 'start must be before end (split a window that crosses midnight in two)';
  return null;
}

/** The weekday and minute of the day of `time` in `timeZone` (the district's local time). */
export function localWeekMinute(time: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(time);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether the plan wants the channel recorded at `time`. */
export function planActiveAt(plan: RecordingPlan, time: number, timeZone: string): boolean {
  if (!plan.enabled) return false;
  if (plan.mode === 'continuous') return true;
  const { day, minute } = localWeekMinute(time, timeZone);
  return plan.windows.some((w) => w.day === day && minute >= (minutesOf(w.start) ?? 0) && minute < (minutesOf(w.end) ?? 0));
}
