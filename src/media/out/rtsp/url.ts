/** What a request URL names: `rtsp://host:port/live/{stream}[/trackID=n][?token=...]`. */
export interface RtspTarget {
  /** 'rtsp://host:port' as the client wrote it; null when the request gave an absolute path only. */
  origin: string | null;
  stream: string;
  /** The track from a '/trackID=n' suffix; null for the aggregate (whole stream) URL. */
  track: number | null;
  token: string | undefined;
  /** The query with its '?', or ''; without a track suffix a client appended to it. */
  query: string;
}

export const LIVE_PREFIX = '/live/';
const TRACK_SUFFIX = /\/trackID=(\d{1,3})$/i;

/**
 * Reads a request URL. Clients that resolve a relative `a=control` against a URL with a query
 * put the track after the query (`...?token=x/trackID=1`); that form is accepted too.
 * Returns null for anything else. Never throws.
 */
export function parseRtspUrl(uri: string): RtspTarget | null {
  let origin: string | null = null;
  let rest = uri;
  const absolute = /^(rtsps?:\/\/[^/?#\s]*)(.*)$/i.exec(uri);
  if (absolute !== null) {
    origin = absolute[1] ?? null;
    rest = absolute[2] ?? '';
  } else if (!uri.startsWith('/')) {
    return null;
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  let path = q >= 0 ? rest.slice(0, q) : rest;
  let query = q >= 0 ? rest.slice(q) : '';
  let track: number | null = null;
  const queryTrack = TRACK_SUFFIX.exec(query);
  if (queryTrack !== null) {
    track = Number(queryTrack[1]);
    query = query.slice(0, queryTrack.index);
  }
  if (!path.startsWith(LIVE_PREFIX)) return null;
  path = path.slice(LIVE_PREFIX.length);
  const pathTrack = TRACK_SUFFIX.exec(path);
  if (pathTrack !== null) {
    if (track !== null) return null;
    track = Number(pathTrack[1]);
    path = path.slice(0, pathTrack.index);
  }
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path === '' || path.includes('/')) return null;
  const stream = decode(path);
  if (stream === null || stream.length > 128 || hasControlCharacter(stream)) return null;
  const token = new URLSearchParams(query.slice(1)).get('token') ?? undefined;
  return { origin, stream, track, token, query: query === '?' ? '' : query };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The URL of one track, absolute so that clients need not resolve it (the query keeps the token). */
export function trackUrl(origin: string, stream: string, track: number, query: string): string {
  return `${origin}${LIVE_PREFIX}${encodeURIComponent(stream)}/trackID=${track}${query}`;
}

export function streamUrl(origin: string, stream: string, query: string): string {
  return `${origin}${LIVE_PREFIX}${encodeURIComponent(stream)}${query}`;
}
