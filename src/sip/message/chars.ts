/** Character classes for the hand-written scanners (no regular expressions on the hot path). */

/** RFC 3261 token characters: alphanumerics and -.!%*_+`'~ (1 = token char; index by char code < 128). */
export const TOKEN_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

export function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Whether s[from, to) is a non-empty token. */
export function isTokenRange(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}
