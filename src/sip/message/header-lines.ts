import type { SipHeaderEntry } from './types';
import { canonicalHeaderName } from './header-names';
import { TOKEN_CHARS, isBlank } from './chars';

export interface HeaderBlock {
  entries: SipHeaderEntry[];
  /** undefined: no Content-Length header; -1: unparseable or contradictory values. */
  contentLength: number | undefined;
  /** First malformed line; parsing goes on so that a 400 can still be built from the rest. */
  error: string | undefined;
}

/**
 * Header lines of text[from..] up to the blank line: `Name: value` with CRLF or LF endings,
 * continuation lines (leading SP/HT) folded into the previous value with one space.
 */
export function parseHeaderLines(text: string, from: number): HeaderBlock {
  const entries: SipHeaderEntry[] = [];
  let error: string | undefined;
  let current: SipHeaderEntry | undefined;
  const len = text.length;
  let pos = from;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = len;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
    if (end === pos) break; // the blank line

    if (isBlank(text.charCodeAt(pos))) {
      const more = trimmed(text, pos, end);
      if (current === undefined) error ??= 'continuation line without a header';
      else if (more !== '') current.value = current.value === '' ? more : `${current.value} ${more}`;
    } else {
      let i = pos;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
        i++;
      }
      const nameEnd = i;
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      if (nameEnd === pos || i >= end || text.charCodeAt(i) !== 0x3a /* : */) {
        error ??= `bad header line: ${text.slice(pos, Math.min(end, pos + 80))}`;
        current = undefined;
      } else {
        current = { name: canonicalHeaderName(text.slice(pos, nameEnd)), value: trimmed(text, i + 1, end) };
        entries.push(current);
      }
    }
    pos = nl + 1;
  }
  return { entries, contentLength: contentLengthOfEntries(entries), error };
}

/** s[from, to) without leading/trailing blanks and stray control characters (a lone CR of a CRCRLF ending). */
function trimmed(s: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

/** Values are read after folding; several Content-Length lines must agree. */
function contentLengthOfEntries(entries: SipHeaderEntry[]): number | undefined {
  let found: number | undefined;
  for (const e of entries) {
    if (e.name !== 'content-length') continue;
    const n = parseContentLength(e.value);
    if (n === null || (found !== undefined && found !== n)) return -1;
    found = n;
  }
  return found;
}

/** Digits only, at most 9 of them (a larger body cannot fit any accepted message). */
export function parseContentLength(value: string): number | null {
  const len = value.length;
  if (len === 0 || len > 9) return null;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}
