import type { GbMedia, GbSdp, GbSdpResult, SessionName } from './types';
import { applyAttribute, clip, parseAttribute, parseMediaLine } from './media-line';
import { parseMediaFormat } from './format';
import { ssrcToNumber } from '../../media/ports/ssrc';

/** SDP bodies are a few hundred bytes; anything this large is not one. */
export const MAX_SDP_BYTES = 64 * 1024;

const SESSION_NAMES: readonly SessionName[] = ['Play', 'Playback', 'Download', 'Talk'];

interface ParseState {
  sdp: GbSdp;
  sawVersion: boolean;
  sawSessionName: boolean;
  sawTime: boolean;
  /** null before the first m=, 'skipped' inside an m= section we do not model (application, …). */
  current: GbMedia | 'skipped' | null;
  /** a= lines at session level, applied to every media section that does not say otherwise. */
  sessionLevel: GbMedia;
}

/**
 * Parses a GB/T 28181 SDP body (Annex G). Total: never throws. Accepts CRLF, LF or CR line endings,
 * unknown lines and attributes, y= and f= anywhere. Fails only on what makes the body unusable:
 * not SDP (no v= or s=), a bad m= port, a t= line that is not two numbers.
 */
export function parseGbSdp(body: Buffer | string): GbSdpResult {
  const byteLength = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (byteLength === 0) return { ok: false, error: 'empty SDP body' };
  if (byteLength > MAX_SDP_BYTES) return { ok: false, error: `SDP body of ${byteLength} bytes is too large` };
  const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
  const state = newState();
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const m = /^\s*([a-zA-Z])\s*=(.*)$/.exec(rawLine);
    if (m === null) continue;
    const error = applyLine(state, (m[1] ?? '').toLowerCase(), (m[2] ?? '').trim());
    if (error !== null) return { ok: false, error };
  }
  if (!state.sawVersion) return { ok: false, error: 'not an SDP body: no v= line' };
  if (!state.sawSessionName) return { ok: false, error: 'SDP without s= line' };
  for (const media of state.sdp.media) inheritSessionLevel(media, state.sessionLevel);
  state.sdp.connection ??= state.sdp.media.find((x) => x.connection !== null)?.connection ?? null;
  state.sdp.attributes = state.sessionLevel.attributes;
  return { ok: true, value: state.sdp };
}

function applyLine(state: ParseState, type: string, value: string): string | null {
  const sdp = state.sdp;
  switch (type) {
    case 'v':
      state.sawVersion = true;
      return null;
    case 'o':
      sdp.origin ??= parseOrigin(value);
      return null;
    case 's':
      if (!state.sawSessionName) sdp.sessionName = canonicalSessionName(value);
      state.sawSessionName = true;
      return null;
    case 'i':
      if (state.current === null) sdp.sessionInfo ??= value;
      return null;
    case 'u':
      setUri(sdp, value);
      return null;
    case 'c':
      setConnection(state, parseConnectionAddress(value));
      return null;
    case 't':
      return setTime(state, value);
    case 'm':
      return addMedia(state, value);
    case 'a':
      applyAttributeLine(state, value);
      return null;
    case 'y':
      setSsrc(sdp, value);
      return null;
    case 'f':
      sdp.format ??= parseMediaFormat(value);
      return null;
    default:
      return null;
  }
}

function newState(): ParseState {
  return {
    sdp: {
      sessionName: '',
      sessionInfo: null,
      origin: null,
      connection: null,
      startTime: 0,
      endTime: 0,
      uri: null,
      uriChannelId: null,
      uriParam: null,
      media: [],
      ssrc: null,
      ssrcNumber: null,
      format: null,
      attributes: [],
    },
    sawVersion: false,
    sawSessionName: false,
    sawTime: false,
    current: null,
    sessionLevel: blankMedia(),
  };
}

function blankMedia(): GbMedia {
  return {
    kind: 'video',
    port: 0,
    transport: 'udp',
    protocol: '',
    setup: null,
    connectionNew: false,
    payloads: [],
    direction: null,
    connection: null,
    downloadSpeed: null,
    fileSize: null,
    streamNumber: null,
    attributes: [],
  };
}

function canonicalSessionName(value: string): string {
  const lower = value.toLowerCase();
  return SESSION_NAMES.find((n) => n.toLowerCase() === lower) ?? value;
}

/** `o=<username> <sess-id> <sess-version> IN IP4 <address>`; a short line still gives the username. */
function parseOrigin(value: string): GbSdp['origin'] {
  const parts = value.split(/\s+/).filter((p) => p !== '');
  const username = parts[0];
  if (username === undefined) return null;
  return { username, address: parts[5] ?? null };
}

/** `c=IN IP4 192.168.6.71` (a multicast `/ttl` suffix dropped). */
function parseConnectionAddress(value: string): string | null {
  const parts = value.split(/\s+/).filter((p) => p !== '');
  const address = (parts[2] ?? '').split('/')[0] ?? '';
  return address === '' ? null : address;
}

function setConnection(state: ParseState, address: string | null): void {
  if (address === null) return;
  if (state.current === null) state.sdp.connection ??= address;
  else if (state.current !== 'skipped') state.current.connection ??= address;
}

function setUri(sdp: GbSdp, value: string): void {
  if (sdp.uri !== null || value === '') return;
  sdp.uri = value;
  const short = /^(\d+):(.*)$/.exec(value);
  if (short !== null) {
    sdp.uriChannelId = short[1] ?? null;
    sdp.uriParam = short[2] ?? null;
  }
}

function setTime(state: ParseState, value: string): string | null {
  if (state.sawTime) return null;
  const m = /^(\d{1,15})\s+(\d{1,15})$/.exec(value);
  if (m === null) return `bad t= line: ${clip(value)}`;
  state.sdp.startTime = Number(m[1]);
  state.sdp.endTime = Number(m[2]);
  state.sawTime = true;
  return null;
}

function addMedia(state: ParseState, value: string): string | null {
  const result = parseMediaLine(value);
  if (!result.ok) return result.error;
  if (result.media === null) {
    state.current = 'skipped';
    return null;
  }
  state.sdp.media.push(result.media);
  state.current = result.media;
  return null;
}

function applyAttributeLine(state: ParseState, value: string): void {
  if (value === '') return;
  const attr = parseAttribute(value);
  if (state.current === 'skipped') return;
  applyAttribute(state.current ?? state.sessionLevel, attr);
}

function setSsrc(sdp: GbSdp, value: string): void {
  if (sdp.ssrc !== null || !/^\d{1,20}$/.test(value)) return;
  sdp.ssrc = value;
  sdp.ssrcNumber = ssrcToNumber(value);
}

/** RFC 4566: session-level attributes hold for every media section that does not set its own. */
function inheritSessionLevel(media: GbMedia, session: GbMedia): void {
  media.direction ??= session.direction;
  media.setup ??= session.setup;
  media.downloadSpeed ??= session.downloadSpeed;
  media.fileSize ??= session.fileSize;
  media.streamNumber ??= session.streamNumber;
  media.connectionNew ||= session.connectionNew;
}
