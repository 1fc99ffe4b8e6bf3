/**
 * What a media URL asks for. Stream names are GB/T 28181 codes or `{code}_{suffix}`; segment
 * names are the segmenter's own. Nothing is percent-decoded: a name that would need it is not
 * one of ours, which also keeps `..` and encoded slashes out by construction.
 */
export type MediaRoute =
  | { kind: 'flv'; stream: string; query: URLSearchParams }
  | { kind: 'hls-playlist'; stream: string; query: URLSearchParams }
  | { kind: 'hls-segment'; stream: string; segment: string; query: URLSearchParams };

const STREAM = '([A-Za-z0-9_-]{1,64})';
const FLV_PATH = new RegExp(`^/live/${STREAM}\\.flv$`);
const PLAYLIST_PATH = new RegExp(`^/live/${STREAM}/index\\.m3u8$`);
// MPEG-TS segments, and for fMP4 (H.265) `segment-N.m4s` with their `init.mp4` / `init-N.mp4`.
const SEGMENT_PATH = new RegExp(`^/live/${STREAM}/([A-Za-z0-9_-]{1,32}\\.(?:ts|m4s|mp4))$`);

export const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The route of a request target (`/path?query`), or null when it is not a media URL. Total. */
export function parseMediaTarget(target: string): MediaRoute | null {
  const hash = target.indexOf('#');
  const bare = hash >= 0 ? target.slice(0, hash) : target;
  const mark = bare.indexOf('?');
  const path = mark >= 0 ? bare.slice(0, mark) : bare;
  const rawQuery = mark >= 0 ? bare.slice(mark + 1) : '';
  const flv = FLV_PATH.exec(path);
  if (flv?.[1] !== undefined) return { kind: 'flv', stream: flv[1], query: new URLSearchParams(rawQuery) };
  const playlist = PLAYLIST_PATH.exec(path);
  if (playlist?.[1] !== undefined) return { kind: 'hls-playlist', stream: playlist[1], query: new URLSearchParams(rawQuery) };
  const segment = SEGMENT_PATH.exec(path);
  if (segment?.[1] !== undefined && segment[2] !== undefined) return { kind: 'hls-segment', stream: segment[1], segment: segment[2], query: new URLSearchParams(rawQuery) };
  return null;
}
