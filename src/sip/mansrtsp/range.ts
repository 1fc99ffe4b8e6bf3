import type { MansrtspRange } from './types';

type Position = number | 'now' | null;

const NPT_SECONDS = /^(\d{1,12})(?:\.(\d{0,9}))?$/;
const NPT_HHMMSS = /^(\d{1,9}):([0-5]?\d):([0-5]?\d)(?:\.(\d{0,9}))?$/;
// smpte frames cannot become seconds without the frame rate: they are dropped.
const SMPTE_TIME = /^(\d{1,9}):([0-5]?\d):([0-5]?\d)(?::\d{1,2}(?:\.\d{1,2})?)?$/;
const CLOCK_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{0,9}))?Z$/i;

/**
 * Reads a Range value: `npt=100-`, `npt=now-`, `npt=600-120`, `npt=0:01:40-`, `smpte=0:10:00-`,
 * `clock=20240517T155229Z-` (a trailing `;time=...` is ignored). Null when it is none of these.
 */
export function parseRange(value: string): MansrtspRange | null {
  const semicolon = value.indexOf(';');
  const spec = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  const eq = spec.indexOf('=');
  if (eq < 0) return null;
  const unitName = spec.slice(0, eq).trim().toLowerCase();
  const unit = unitName === 'npt' ? 'npt' : unitName.startsWith('smpte') ? 'smpte' : unitName === 'clock' ? 'clock' : null;
  if (!unit) return null;
  const positions = splitPositions(spec.slice(eq + 1));
  if (!positions) return null;
  const [startText, endText] = positions;
  const start = startText === '' ? null : readPosition(startText, unit, true);
  const end = endText === '' ? null : readPosition(endText, unit, false);
  if (start === undefined || end === undefined) return null;
  if (start === null && end === null) return null;
  return { unit, start, end: end === 'now' ? null : end };
}

/** Splits `a-b` at the dash that separates the positions (clock times hold no dash of their own). */
function splitPositions(text: string): [string, string] | null {
  const parts = text.split('-');
  if (parts.length !== 2) return null;
  return [(parts[0] ?? '').trim(), (parts[1] ?? '').trim()];
}

/** undefined when unreadable; 'now' only for an npt start. */
function readPosition(text: string, unit: MansrtspRange['unit'], isStart: boolean): Position | undefined {
  if (unit === 'npt') {
    if (text.toLowerCase() === 'now') return isStart ? 'now' : undefined;
    return readNpt(text);
  }
  if (unit === 'smpte') return readSmpte(text);
  return readClock(text);
}

function readNpt(text: string): number | undefined {
  const seconds = NPT_SECONDS.exec(text);
  if (seconds) return Number(`${seconds[1]}.${seconds[2] || '0'}`);
  const hms = NPT_HHMMSS.exec(text);
  if (!hms) return undefined;
  return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(`${hms[3]}.${hms[4] || '0'}`);
}

function readSmpte(text: string): number | undefined {
  const m = SMPTE_TIME.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function readClock(text: string): number | undefined {
  const m = CLOCK_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return undefined; // 31 February and the like
  return ms / 1000 + Number(`0.${m[7] || '0'}`);
}

/** Seconds as the shortest decimal (at most millisecond precision): 100, 100.5. */
export function formatSeconds(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}

/** The Range value we send: npt, open-ended unless an end is given. */
export function formatNptRange(start: number | 'now', end: number | null): string {
  const from = start === 'now' ? 'now' : formatSeconds(start);
  return `npt=${from}-${end === null ? '' : formatSeconds(end)}`;
}
