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

const TOKEN = /[A-Za-z0-9!#$%&'*+.^_`|~-]+/y;
const SPACE = /[ \t]*/y;
const UNQUOTED_VALUE = /[^\s,"]*/y;

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  space(): void {
    SPACE.lastIndex = this.pos;
    SPACE.test(this.s);
    this.pos = SPACE.lastIndex;
  }

  match(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (m === null) return null;
    this.pos = re.lastIndex;
    return m[0];
  }

  /** A quoted-string starting at the opening quote; null when it never closes. */
  quoted(): string | null {
    const s = this.s;
    let out = '';
    let segment = this.pos + 1;
    for (let i = segment; i < s.length; i++) {
      const code = s.charCodeAt(i);
      if (code === 0x22) {
        this.pos = i + 1;
        return out + s.slice(segment, i);
      }
      if (code === 0x5c && i + 1 < s.length) {
        out += s.slice(segment, i) + s.charAt(i + 1);
        i++;
        segment = i + 1;
      }
    }
    return null;
  }

  done(): boolean {
    return this.pos >= this.s.length;
  }
}

export function parseDigestHeader(value: string): DigestHeader | null {
  if (typeof value !== 'string' || value.length > MAX_DIGEST_HEADER_LENGTH) return null;
  const c = new Cursor(value.replace(/\r?\n[ \t]+/g, ' ').trim());
  const scheme = c.match(TOKEN);
  if (scheme === null) return null;
  const params = new Map<string, string>();
  c.space();
  while (!c.done()) {
    const name = c.match(TOKEN);
    if (name === null) return null;
    c.space();
    if (c.s[c.pos] !== '=') return null;
    c.pos++;
    c.space();
    const v = c.s[c.pos] === '"' ? c.quoted() : c.match(UNQUOTED_VALUE);
    if (v === null) return null;
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, v);
    c.space();
    // Commas separate parameters; a few devices use bare spaces, which we accept too.
    while (c.s[c.pos] === ',') {
      c.pos++;
      c.space();
    }
  }
  return { scheme, params };
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
