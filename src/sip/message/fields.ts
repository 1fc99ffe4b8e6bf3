import type { CSeq, NameAddr, Via } from './types';
import { formatParams, parseParams } from './params';
import { formatHostPort, formatUri, parseHostPort, parseUri } from './uri';
import { isTokenChar } from './chars';

export { parseParams, formatParams } from './params';
export { isTokenChar } from './chars';

/**
 * From/To/Contact/Route values: `"Name" <sip:a@b>;tag=1`, `Name <sip:a@b>`, `<sip:a@b>`, or a bare
 * `sip:a@b;tag=1` (whose `;` parameters then belong to the header, RFC 3261 §20.10).
 */
export function parseNameAddr(text: string): NameAddr | null {
  const t = text.trim();
  if (t === '') return null;
  let displayName: string | undefined;
  let from = 0;
  if (t.charCodeAt(0) === 0x22 /* " */) {
    const quoted = readQuoted(t, 0);
    if (quoted === null) return null;
    displayName = quoted.value;
    from = quoted.end;
    while (from < t.length && isSpace(t.charCodeAt(from))) from++;
    if (t.charCodeAt(from) !== 0x3c /* < */) return null;
  }
  const lt = t.indexOf('<', from);
  let uriText: string;
  let paramText: string;
  if (lt !== -1) {
    if (displayName === undefined) {
      const bare = t.slice(0, lt).trim();
      if (bare !== '') displayName = bare;
    }
    const gt = t.indexOf('>', lt + 1);
    if (gt === -1) return null;
    uriText = t.slice(lt + 1, gt).trim();
    const after = t.slice(gt + 1).trimStart();
    if (after !== '' && after.charCodeAt(0) !== 0x3b /* ; */) return null;
    paramText = after;
  } else {
    const semi = t.indexOf(';');
    uriText = semi === -1 ? t : t.slice(0, semi);
    paramText = semi === -1 ? '' : t.slice(semi);
  }
  const uri = parseUri(uriText);
  if (uri === null) return null;
  const na: NameAddr = { uri, uriText, params: parseParams(paramText) };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** Always writes the `<...>` form; the URI is `uriText` when set (echoing it unchanged), else formatted from `uri`. */
export function formatNameAddr(na: NameAddr): string {
  let out = '';
  if (na.displayName !== undefined && na.displayName !== '') out += `${quote(na.displayName)} `;
  out += `<${na.uriText !== '' ? na.uriText : formatUri(na.uri)}>`;
  return out + formatParams(na.params);
}

/** One Via element (`SIP/2.0/UDP 192.168.6.71:5060;rport;branch=z9hG4bK1`); split joined Vias with getAll first. */
export function parseVia(text: string): Via | null {
  const t = text.trim();
  let i = 0;
  const name = readToken(t, i);
  if (name === null) return null;
  i = expectSlash(t, name.end);
  if (i === -1) return null;
  const version = readToken(t, i);
  if (version === null) return null;
  i = expectSlash(t, version.end);
  if (i === -1) return null;
  const transport = readToken(t, i);
  if (transport === null) return null;
  i = transport.end;
  if (i >= t.length || !isSpace(t.charCodeAt(i))) return null;
  const semi = t.indexOf(';', i);
  const hostPort = parseHostPort(semi === -1 ? t.slice(i) : t.slice(i, semi));
  if (hostPort === null) return null;
  const via: Via = {
    protocol: `${name.value.toUpperCase()}/${version.value}`,
    transport: transport.value.toUpperCase(),
    host: hostPort.host,
    params: semi === -1 ? new Map() : parseParams(t.slice(semi + 1)),
  };
  if (hostPort.port !== undefined) via.port = hostPort.port;
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${formatHostPort(via.host, via.port)}${formatParams(via.params)}`;
}

/** `20 MESSAGE` (sequence number below 2^32, method a token). */
export function parseCSeq(text: string): CSeq | null {
  const t = text.trim();
  let i = 0;
  let seq = 0;
  while (i < t.length) {
    const d = t.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
    i++;
  }
  if (i === 0 || i > 10 || seq > 0xffffffff) return null;
  if (i >= t.length || !isSpace(t.charCodeAt(i))) return null;
  while (i < t.length && isSpace(t.charCodeAt(i))) i++;
  const method = readToken(t, i);
  if (method === null || method.end !== t.length) return null;
  return { seq, method: method.value };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function readToken(s: string, from: number): { value: string; end: number } | null {
  let i = from;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i === from ? null : { value: s.slice(from, i), end: i };
}

/** Skips `LWS "/" LWS`; returns the index after it, or -1. */
function expectSlash(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== 0x2f /* / */) return -1;
  i++;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** A quoted-string starting at `from` (which holds the opening quote), unescaped. */
function readQuoted(s: string, from: number): { value: string; end: number } | null {
  let value = '';
  for (let i = from + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      if (i + 1 >= s.length) return null;
      value += s[i + 1];
      i++;
    } else if (c === 0x22) {
      return { value, end: i + 1 };
    } else {
      value += s[i];
    }
  }
  return null;
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}
