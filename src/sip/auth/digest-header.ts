/**
 * The text of WWW-Authenticate / Authorization headers (RFC 3261 §25, RFC 7616):
 * `Digest name=value, name="quoted, value"`. Devices vary: no spaces after commas, spaces
 * around `=`, unquoted values, upper-case names. Parsing is total: bad text gives null.
 */

export interface DigestHeader {
  scheme: string;
  /** Parameter names lower-cased; the first occurrence of a name wins. */
  params: Map<string, string>;
}

/** Longest header value we look at: real ones are a few hundred bytes. */
export const MAX_DIGEST_HEADER_LENGTH = 8192;

/** RFC 7230 tchar, by char code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const ch of "!#$%&'*+.^_`|~-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[ch.charCodeAt(0)] = 1;

const SP = 0x20;
const HTAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const EQUALS = 0x3d;

function isToken(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

function skipSpace(s: string, pos: number): number {
  let i = pos;
  while (i < s.length && (s.charCodeAt(i) === SP || s.charCodeAt(i) === HTAB)) i++;
  return i;
}

function tokenEnd(s: string, pos: number): number {
  let i = pos;
  while (i < s.length && isToken(s.charCodeAt(i))) i++;
  return i;
}

/** Unquoted values run to whitespace, a comma or a quote. */
function unquotedEnd(s: string, pos: number): number {
  let i = pos;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COMMA || c === QUOTE || c === SP || c === HTAB || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c) break;
    if (c > 0x7f && /\s/.test(s.charAt(i))) break;
  }
  return i;
}

/**
 * Parsed by char codes (it runs twice per registration: a storm's hot path), with the same
 * grammar as before: token scheme, then `name = value` pairs, values quoted (with backslash
 * escapes) or bare, separated by commas or just whitespace.
 */
export function parseDigestHeader(value: string): DigestHeader | null {
  if (typeof value !== 'string' || value.length > MAX_DIGEST_HEADER_LENGTH) return null;
  const s = (value.includes('\n') ? value.replace(/\r?\n[ \t]+/g, ' ') : value).trim();
  let pos = tokenEnd(s, 0);
  if (pos === 0) return null;
  const scheme = s.slice(0, pos);
  const params = new Map<string, string>();
  pos = skipSpace(s, pos);
  while (pos < s.length) {
    const nameEnd = tokenEnd(s, pos);
    if (nameEnd === pos) return null;
    const name = s.slice(pos, nameEnd);
    pos = skipSpace(s, nameEnd);
    if (s.charCodeAt(pos) !== EQUALS) return null;
    pos = skipSpace(s, pos + 1);
    let v: string;
    if (s.charCodeAt(pos) === QUOTE) {
      const quoted = readQuoted(s, pos);
      if (quoted === null) return null;
      v = quoted.value;
      pos = quoted.end;
    } else {
      const end = unquotedEnd(s, pos);
      v = s.slice(pos, end);
      pos = end;
    }
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, v);
    pos = skipSpace(s, pos);
    // Commas separate parameters; a few devices use bare spaces, which we accept too.
    while (s.charCodeAt(pos) === COMMA) pos = skipSpace(s, pos + 1);
  }
  return { scheme, params };
}

/** A quoted-string starting at the opening quote; null when it never closes. */
function readQuoted(s: string, open: number): { value: string; end: number } | null {
  let out = '';
  let segment = open + 1;
  for (let i = segment; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === QUOTE) return { value: out + s.slice(segment, i), end: i + 1 };
    if (code === BACKSLASH && i + 1 < s.length) {
      out += s.slice(segment, i) + s.charAt(i + 1);
      i++;
      segment = i + 1;
    }
  }
  return null;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`).replace(/[\r\n]/g, ' ')}"`;
}

export interface DigestChallengeOptions {
  realm: string;
  nonce: string;
  algorithm?: 'MD5' | 'MD5-sess';
  /** Offer qop=auth; without it the device answers RFC 2069 style, as many GB devices expect. */
  qop?: 'auth';
  opaque?: string;
  /** The nonce the client used was genuine but expired: retry with the new one, no new password prompt. */
  stale?: boolean;
}

/** The value of a WWW-Authenticate header. */
export function formatDigestChallenge(options: DigestChallengeOptions): string {
  const parts = [`realm=${quote(options.realm)}`, `nonce=${quote(options.nonce)}`];
  if (options.opaque !== undefined) parts.push(`opaque=${quote(options.opaque)}`);
  parts.push(`algorithm=${options.algorithm ?? 'MD5'}`);
  if (options.qop !== undefined) parts.push(`qop="${options.qop}"`);
  if (options.stale === true) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

export interface DigestCredentialsOptions {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** The value of an Authorization header (what a device, or our cascade client, sends). */
export function formatDigestCredentials(options: DigestCredentialsOptions): string {
  const parts = [
    `username=${quote(options.username)}`,
    `realm=${quote(options.realm)}`,
    `nonce=${quote(options.nonce)}`,
    `uri=${quote(options.uri)}`,
    `response=${quote(options.response)}`,
  ];
  if (options.algorithm !== undefined) parts.push(`algorithm=${options.algorithm}`);
  if (options.cnonce !== undefined) parts.push(`cnonce=${quote(options.cnonce)}`);
  if (options.opaque !== undefined) parts.push(`opaque=${quote(options.opaque)}`);
  if (options.qop !== undefined) parts.push(`qop=${options.qop}`);
  if (options.nc !== undefined) parts.push(`nc=${options.nc}`);
  return `Digest ${parts.join(', ')}`;
}
