import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../logger';
import type { UrlTokenSigner } from '../../access/url-token';
import type { MediaSource } from '../../source/media-source';
import { DEFAULT_FLV_STALL_TIMEOUT_MS, FlvViewers } from './flv-viewers';
import { HlsService } from './hls-service';
import { ALLOWED_METHODS, rejectUpgrade, sendError, sendPreflight, type HttpFailure } from './replies';
import { parseMediaTarget, type MediaRoute } from './route';
import { checkToken } from './token-gate';

/** Where the server finds a live stream by name (the media worker's registry of MediaSources). */
export interface MediaSourceLookup {
  get(stream: string): MediaSource | undefined;
}

export interface MediaHttpServerOptions {
  host: string;
  /** 0 picks a free port; listen() tells which. */
  port: number;
  sources: MediaSourceLookup;
  /** Checks `?token=` on every URL; null turns the check off (trusted networks, tests). */
  tokens: UrlTokenSigner | null;
  /** An HLS segmenter with no playlist/segment request for this long is detached. Default 30000. */
  hlsIdleMs?: number;
  /** Seconds a segment lasts at least (it is cut at the next key frame after). Default 2. */
  hlsTargetDurationSec?: number;
  /** Segments in the live playlist. Default 6. */
  hlsWindow?: number;
  /** The first playlist request waits this long for the first segment, then answers anyway. Default 6000. */
  hlsFirstSegmentWaitMs?: number;
  /** An FLV viewer whose send backlog has not shrunk for this long is disconnected. Default 15000. */
  flvStallTimeoutMs?: number;
  /** Longer request targets get 414. Default 2048. */
  maxUrlLength?: number;
  logger: Logger;
}

export interface MediaHttpServerStats {
  /** HTTP requests and WebSocket upgrade attempts since start. */
  requests: number;
  /** Of those, answered with an error status. */
  rejected: number;
  httpFlvViewers: number;
  wsFlvViewers: number;
  /** Streams with an HLS segmenter attached. */
  hls: { stream: string; segments: number; requests: number }[];
}

export interface MediaHttpServer {
  listen(): Promise<{ port: number }>;
  /** Ends every viewer, detaches every HLS segmenter and closes every connection. Idempotent. */
  close(): Promise<void>;
  stats(): MediaHttpServerStats;
}

type Admission = { ok: true; source: MediaSource } | { ok: false; failure: HttpFailure };

const NOT_FOUND: HttpFailure = { status: 404, code: 'not_found', message: 'no such media URL; try /live/{stream}.flv or /live/{stream}/index.m3u8' };

/**
 * The media node's HTTP face for players: HTTP-FLV and WS-FLV on `/live/{stream}.flv`, HLS on
 * `/live/{stream}/index.m3u8` and its segments, all behind the same URL token.
 */
export function createMediaHttpServer(options: MediaHttpServerOptions): MediaHttpServer {
  const logger = options.logger.child({ component: 'media-http' });
  const maxUrlLength = options.maxUrlLength ?? 2048;
  const counters = { requests: 0, rejected: 0 };
  const flv = new FlvViewers(logger, options.flvStallTimeoutMs ?? DEFAULT_FLV_STALL_TIMEOUT_MS);
  const hls = new HlsService({
    targetDurationSec: options.hlsTargetDurationSec ?? 2,
    windowSize: options.hlsWindow ?? 6,
    idleMs: options.hlsIdleMs ?? 30_000,
    firstSegmentWaitMs: options.hlsFirstSegmentWaitMs ?? 6000,
    logger,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  const server = createServer();
  server.keepAliveTimeout = 5000;
  let closing: Promise<void> | null = null;

  const fail = (res: ServerResponse, failure: HttpFailure, headers: Record<string, string> = {}): void => {
    counters.rejected++;
    sendError(res, failure, headers);
  };

  const admit = (route: MediaRoute): Admission => {
    const tokenFailure = checkToken(options.tokens, route.stream, route.query.get('token'));
    if (tokenFailure) return { ok: false, failure: tokenFailure };
    const source = options.sources.get(route.stream);
    if (!source) return { ok: false, failure: { status: 404, code: 'stream_not_found', message: `stream ${route.stream} is not live on this node` } };
    return { ok: true, source };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume(); // a body on a GET is ignored, not left to block the connection
    const target = req.url ?? '';
    if (target.length > maxUrlLength) return fail(res, { status: 414, code: 'uri_too_long', message: `request targets are limited to ${maxUrlLength} characters` });
    if (req.method === 'OPTIONS') return sendPreflight(res, headerValue(req.headers['access-control-request-headers']));
    const route = parseMediaTarget(target);
    if (!route) return fail(res, NOT_FOUND);
    if (req.method !== 'GET') return fail(res, { status: 405, code: 'method_not_allowed', message: `${req.method ?? '?'} is not allowed here` }, { Allow: ALLOWED_METHODS });
    if (closing) return fail(res, { status: 503, code: 'shutting_down', message: 'the media node is shutting down' });
    const admission = admit(route);
    if (!admission.ok) return fail(res, admission.failure);
    const { source } = admission;
    switch (route.kind) {
      case 'flv':
        return flv.serveHttp(req, res, route.stream, source, route.query);
      case 'hls-playlist':
        hls.servePlaylist(res, route.stream, source, route.query.get('token')).catch((err: unknown) => {
          logger.error({ err, stream: route.stream }, 'HLS playlist request failed');
          fail(res, { status: 500, code: 'internal', message: 'internal error' });
        });
        return;
      case 'hls-segment':
        return hls.serveSegment(res, route.stream, source, route.segment);
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    try {
      handle(req, res);
    } catch (err) {
      logger.error({ err, url: req.url?.slice(0, 200) }, 'media HTTP request failed');
      fail(res, { status: 500, code: 'internal', message: 'internal error' });
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    counters.requests++;
    socket.on('error', () => socket.destroy());
    const reject = (failure: HttpFailure): void => {
      counters.rejected++;
      rejectUpgrade(socket, failure);
    };
    const target = req.url ?? '';
    const route = target.length > maxUrlLength ? null : parseMediaTarget(target);
    if (!route || route.kind !== 'flv') return reject(NOT_FOUND);
    if (req.method !== 'GET') return reject({ status: 405, code: 'method_not_allowed', message: 'WebSocket upgrades are GET requests' });
    if (closing) return reject({ status: 503, code: 'shutting_down', message: 'the media node is shutting down' });
    const admission = admit(route);
    if (!admission.ok) return reject(admission.failure);
    const { source } = admission;
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.terminate();
        return;
      }
      flv.serveWs(ws, req, route.stream, source, route.query);
    });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Node's own answers (400, 413, 431) but never a crash or a half-open socket.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    rejectUpgrade(socket, { status, code: status === 431 ? 'headers_too_large' : 'bad_request', message: 'malformed HTTP request' });
  });

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          const address = server.address();
          const port = typeof address === 'object' && address ? address.port : options.port;
          logger.info({ host: options.host, port }, 'media HTTP server listening');
          resolve({ port });
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        flv.closeAll();
        hls.closeAll();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        // Streaming responses and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
    stats() {
      return {
        requests: counters.requests,
        rejected: counters.rejected,
        httpFlvViewers: flv.count('http-flv'),
        wsFlvViewers: flv.count('ws-flv'),
        hls: hls.sessionStats(),
      };
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
