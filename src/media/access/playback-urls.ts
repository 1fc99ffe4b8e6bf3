import type { UrlTokenSigner } from './url-token';

export interface PlaybackUrls {
  httpFlv: string;
  wsFlv: string;
  hls: string;
  rtsp: string;
  /** When the token in these URLs stops working (ms since epoch), or null without tokens. */
  expiresAt: number | null;
}

export interface PlaybackUrlOptions {
  host: string;
  httpPort: number;
  rtspPort: number;
  signer: UrlTokenSigner | null;
  ttlSec: number;
}

/** The URLs a viewer plays a stream with, each carrying a signed, expiring token. */
export function playbackUrls(streamId: string, o: PlaybackUrlOptions): PlaybackUrls {
  const token = o.signer?.sign(streamId, o.ttlSec);
  const query = token !== undefined ? `?token=${token}` : '';
  const http = formatHostPort(o.host, o.httpPort);
  const expiresAt = token !== undefined ? Number(token.slice(0, token.indexOf('.'))) * 1000 : null;
  return {
    httpFlv: `http://${http}/live/${streamId}.flv${query}`,
    wsFlv: `ws://${http}/live/${streamId}.flv${query}`,
    hls: `http://${http}/live/${streamId}/index.m3u8${query}`,
    rtsp: `rtsp://${formatHostPort(o.host, o.rtspPort)}/live/${streamId}${query}`,
    expiresAt,
  };
}

function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
