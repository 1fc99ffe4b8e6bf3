import { isBlank, isTokenRange } from './chars';

export type StartLine =
  | { type: 'request'; method: string; uri: string }
  | { type: 'response'; status: number; reason: string };

/**
 * `METHOD SP Request-URI SP SIP/2.0` or `SIP/2.0 SP status SP reason`, tolerating runs of blanks
 * and odd reason phrases (`101 Dialog Establishement`). `text[from, to)` is the line without CRLF.
 */
export function parseStartLine(text: string, from: number, to: number): StartLine | null {
  let i = skipBlanks(text, from, to);
  const firstStart = i;
  i = skipWord(text, i, to);
  const firstEnd = i;
  i = skipBlanks(text, i, to);
  const secondStart = i;
  i = skipWord(text, i, to);
  const secondEnd = i;
  if (secondEnd === secondStart) return null;
  i = skipBlanks(text, i, to);
  let end = to;
  while (end > i && isBlank(text.charCodeAt(end - 1))) end--;

  if (isSipVersion(text, firstStart, firstEnd)) {
    if (secondEnd - secondStart !== 3) return null;
    const status = digit3(text, secondStart);
    if (status < 100 || status > 699) return null;
    return { type: 'response', status, reason: text.slice(i, end) };
  }
  // The request's third word must be the last one.
  if (!isSipVersion(text, i, end)) return null;
  if (!isTokenRange(text, firstStart, firstEnd)) return null;
  const uri = text.slice(secondStart, secondEnd);
  if (uri.indexOf(':') <= 0) return null;
  return { type: 'request', method: text.slice(firstStart, firstEnd), uri };
}

function skipBlanks(s: string, i: number, to: number): number {
  while (i < to && isBlank(s.charCodeAt(i))) i++;
  return i;
}

function skipWord(s: string, i: number, to: number): number {
  while (i < to && !isBlank(s.charCodeAt(i))) i++;
  return i;
}

/** "SIP/2.0", any case. */
function isSipVersion(s: string, from: number, to: number): boolean {
  if (to - from !== 7) return false;
  return (
    (s.charCodeAt(from) | 0x20) === 0x73 &&
    (s.charCodeAt(from + 1) | 0x20) === 0x69 &&
    (s.charCodeAt(from + 2) | 0x20) === 0x70 &&
    s.charCodeAt(from + 3) === 0x2f &&
    s.charCodeAt(from + 4) === 0x32 &&
    s.charCodeAt(from + 5) === 0x2e &&
    s.charCodeAt(from + 6) === 0x30
  );
}

/** Three decimal digits at `at`, or -1. */
function digit3(s: string, at: number): number {
  let n = 0;
  for (let k = 0; k < 3; k++) {
    const d = s.charCodeAt(at + k) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
