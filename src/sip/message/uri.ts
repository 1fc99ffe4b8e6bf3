import type { SipUri } from './types';
import { formatParams, parseParams } from './params';

/**
 * SIP URIs as GB/T 28181 devices write them: `sip:34020000001320000002@192.168.6.71:5060`,
 * `sip:34020000002000000010@3402000000`, `sip:user@[2001:db8::1]:5060;transport=tcp`.
 * IPv6 hosts are stored without brackets; formatUri adds them back.
 */
export function parseUri(text: string): SipUri | null {
  const t = text.trim();
  if (t === '' || hasForbiddenChar(t)) return null;
  const colon = t.indexOf(':');
  if (colon <= 0) return null;
  const scheme = t.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return null;

  let rest = t.slice(colon + 1);
  let headers: string | undefined;
  const question = rest.indexOf('?');
  if (question !== -1) {
    headers = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }

  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    if (userinfo === '') return null;
    const pc = userinfo.indexOf(':');
    if (pc === -1) {
      user = userinfo;
    } else {
      user = userinfo.slice(0, pc);
      password = userinfo.slice(pc + 1);
      if (user === '') return null;
    }
    rest = rest.slice(at + 1);
  }

  const semi = rest.indexOf(';');
  const hostPort = parseHostPort(semi === -1 ? rest : rest.slice(0, semi));
  if (hostPort === null) return null;
  const uri: SipUri = {
    scheme,
    host: hostPort.host,
    params: semi === -1 ? new Map() : parseParams(rest.slice(semi + 1)),
  };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hostPort.port !== undefined) uri.port = hostPort.port;
  if (headers !== undefined) uri.headers = headers;
  return uri;
}

export function formatUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += uri.user;
    if (uri.password !== undefined) out += `:${uri.password}`;
    out += '@';
  }
  out += formatHostPort(uri.host, uri.port);
  out += formatParams(uri.params);
  if (uri.headers !== undefined && uri.headers !== '') out += `?${uri.headers}`;
  return out;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` (a bare IPv6 address without port is tolerated). */
export function parseHostPort(text: string): { host: string; port?: number } | null {
  const t = text.trim();
  if (t === '') return null;
  if (t.charCodeAt(0) === 0x5b /* [ */) {
    const close = t.indexOf(']');
    if (close === -1) return null;
    const host = t.slice(1, close);
    if (!isIpv6Text(host)) return null;
    const after = t.slice(close + 1);
    if (after === '') return { host };
    if (after.charCodeAt(0) !== 0x3a /* : */) return null;
    const port = parsePort(after.slice(1));
    return port === null ? null : { host, port };
  }
  const colon = t.indexOf(':');
  if (colon === -1) return isHostText(t) ? { host: t } : null;
  if (t.indexOf(':', colon + 1) !== -1) return isIpv6Text(t) ? { host: t } : null;
  const host = t.slice(0, colon);
  if (!isHostText(host)) return null;
  const port = parsePort(t.slice(colon + 1));
  return port === null ? null : { host, port };
}

export function formatHostPort(host: string, port: number | undefined): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

/** 0..65535, digits only. */
export function parsePort(text: string): number | null {
  if (text.length === 0 || text.length > 5) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : null;
}

/** Domain names, IPv4 and the bare-digit domains GB devices use (`3402000000`). */
function isHostText(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

function isIpv6Text(s: string): boolean {
  if (s.length < 2 || s.length > 64 || s.indexOf(':') === -1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x3a || c === 0x2e || c === 0x25;
    if (!ok) return false;
  }
  return true;
}

function hasForbiddenChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3c /* < */ || c === 0x3e /* > */ || c === 0x22 /* " */) return true;
  }
  return false;
}
