import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { Logger } from '../../../logger';
import type { MediaSource } from '../../source/media-source';
import type { ExternalFlvServer } from '../../source/types';
import type { HevcMode } from '../flv/muxer';
import { httpFlvOutput, startHttpFlvResponse, wsFlvOutput } from './flv-outputs';
import { FlvSink, type FlvOutput } from './flv-sink';
import { CORS_HEADERS } from './replies';

export type FlvTransport = 'http-flv' | 'ws-flv';

/**
 * How long a new HTTP-FLV viewer of a stream whose native relay has not decided yet (no key frame
 * so far) waits for it; the JavaScript path would wait for that key frame as well.
 */
const RELAY_DECISION_WAIT_MS = 10_000;

/** How long an FLV viewer's backlog may stay unshrunk before it is cut off, unless configured. */
export const DEFAULT_FLV_STALL_TIMEOUT_MS = 15_000;

const FLV_HEADERS = { ...CORS_HEADERS, 'Content-Type': 'video/x-flv', 'Cache-Control': 'no-cache, no-store' };

/** A viewer the native FLV relay serves: the relay writes to its socket, this keeps the count. */
interface RelayedViewer {
  stream: string;
  relay: ExternalFlvServer;
  id: number;
}

interface Viewer {
  transport: FlvTransport;
  stream: string;
  sink: FlvSink;
  detach: () => void;
  /** Last time its backlog was empty or shrank. */
  progressAt: number;
  lastPending: number;
}

/** `?hevc=legacy` asks for codec id 12 (flv.js forks, SRS-era players); anything else gets enhanced FLV. */
export function hevcModeOf(query: URLSearchParams): HevcMode {
  const wanted = query.get('hevc');
  return wanted === 'legacy' || wanted === '12' ? 'codecId12' : 'enhanced';
}

/**
 * Every FLV viewer of the server, over HTTP or WebSocket. A viewer is a sink on its stream's
 * MediaSource from the moment it connects until its socket closes, whichever side closes it.
 */
export class FlvViewers {
  private readonly viewers = new Set<Viewer>();
  private readonly relayed = new Set<RelayedViewer>();
  private watchdog: NodeJS.Timeout | null = null;

  /**
   * `stallTimeoutMs`: a viewer whose backlog has not shrunk for this long is cut off. The
   * MediaSource only skips a viewer over its skip threshold, which would leave a client that
   * never reads attached (and its socket open) for as long as the stream lives.
   */
  constructor(
    private readonly logger: Logger,
    private readonly stallTimeoutMs: number,
  ) {}

  count(transport: FlvTransport): number {
    let n = transport === 'http-flv' ? this.relayed.size : 0;
    for (const v of this.viewers) if (v.transport === transport) n++;
    return n;
  }

  serveHttp(req: IncomingMessage, res: ServerResponse, stream: string, source: MediaSource, query: URLSearchParams): void {
    const relay = source.externalFlv;
    if (relay !== undefined && relay.state !== 'bailed') {
      this.serveRelayed(req, res, stream, source, query, relay).catch((err: unknown) => {
        this.logger.error({ err, stream }, 'HTTP-FLV viewer could not be served');
        res.destroy();
      });
      return;
    }
    this.serveHttpHere(req, res, stream, source, query);
  }

  private serveHttpHere(req: IncomingMessage, res: ServerResponse, stream: string, source: MediaSource, query: URLSearchParams): void {
    // One stream per connection: nothing to keep alive afterwards, and close() has no idle sockets to wait for.
    if (!res.headersSent) startHttpFlvResponse(res, FLV_HEADERS);
    req.socket.setTimeout(0);
    res.on('error', () => undefined);
    const viewer = this.add('http-flv', stream, source, httpFlvOutput(res), hevcModeOf(query), req.socket.remoteAddress);
    res.once('close', () => this.remove(viewer));
  }

  /**
   * An HTTP-FLV viewer of a stream with a native relay (ADR 0024): once the relay has decided, a
   * plain stream's viewer is handed over after the response headers, anything else is served here.
   */
  private async serveRelayed(req: IncomingMessage, res: ServerResponse, stream: string, source: MediaSource, query: URLSearchParams, relay: ExternalFlvServer): Promise<void> {
    res.on('error', () => undefined);
    const state = await relay.decided(RELAY_DECISION_WAIT_MS);
    if (res.destroyed || req.socket.destroyed) return;
    if (state !== 'native') return this.serveHttpHere(req, res, stream, source, query);
    startHttpFlvResponse(res, FLV_HEADERS);
    req.socket.setTimeout(0);
    const socket = req.socket;
    // The relay writes on its own descriptor: Node's buffer must be empty first, or bytes would cross.
    if (socket.writableLength > 0) await new Promise((resolve) => socket.once('drain', resolve));
    if (res.destroyed || socket.destroyed) return;
    const remote = socket.remoteAddress;
    let removeViewer = (): void => undefined;
    const viewer: RelayedViewer = { stream, relay, id: 0 };
    try {
      viewer.id = relay.serve(socket, (reason) => {
        this.relayed.delete(viewer);
        removeViewer();
        this.logger.info({ stream, transport: 'http-flv', reason, remote, relay: 'native' }, 'FLV viewer ended');
      });
    } catch (err) {
      // It bailed meanwhile, or the socket has no descriptor: the headers are out, the body comes from here.
      this.logger.debug({ err, stream }, 'native relay did not take the viewer');
      return this.serveHttpHere(req, res, stream, source, query);
    }
    this.relayed.add(viewer);
    removeViewer = source.addExternalViewer();
    this.logger.info({ stream, transport: 'http-flv', remote, relay: 'native' }, 'FLV viewer joined');
    // The relay holds its own duplicate: closing Node's descriptor leaves the connection open.
    socket.destroy();
  }

  serveWs(ws: WebSocket, req: IncomingMessage, stream: string, source: MediaSource, query: URLSearchParams): void {
    ws.on('error', () => ws.terminate());
    // Players send nothing that matters; ignore whatever arrives.
    ws.on('message', () => undefined);
    const viewer = this.add('ws-flv', stream, source, wsFlvOutput(ws, req.socket), hevcModeOf(query), req.socket.remoteAddress);
    ws.once('close', () => this.remove(viewer));
  }

  /** Ends every viewer at once (server shutdown). */
  closeAll(): void {
    for (const viewer of [...this.relayed]) viewer.relay.endViewer(viewer.id);
    for (const viewer of [...this.viewers]) {
      viewer.detach();
      viewer.sink.end('source-closed');
      this.viewers.delete(viewer);
    }
    this.stopWatchdogWhenIdle();
  }

  private dropStalled(): void {
    const now = Date.now();
    for (const viewer of [...this.viewers]) {
      const pending = viewer.sink.pendingBytes();
      if (pending === 0 || pending < viewer.lastPending) viewer.progressAt = now;
      viewer.lastPending = pending;
      if (now - viewer.progressAt <= this.stallTimeoutMs) continue;
      this.logger.warn({ stream: viewer.stream, transport: viewer.transport, pending, stalledMs: now - viewer.progressAt }, 'FLV viewer stopped reading: dropped');
      viewer.detach();
      viewer.sink.end('too-slow');
    }
  }

  private stopWatchdogWhenIdle(): void {
    if (this.viewers.size > 0 || this.watchdog === null) return;
    clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private add(transport: FlvTransport, stream: string, source: MediaSource, output: FlvOutput, hevcMode: HevcMode, remote: string | undefined): Viewer {
    const sink = new FlvSink(transport, output, {
      hevcMode,
      onEnd: (reason) => this.logger.info({ stream, transport, reason, remote }, 'FLV viewer ended'),
      onError: (err) => this.logger.error({ err, stream, transport }, 'FLV muxing failed; viewer cut off'),
    });
    const viewer: Viewer = { transport, stream, sink, detach: () => undefined, progressAt: Date.now(), lastPending: 0 };
    this.viewers.add(viewer);
    this.watchdog ??= setInterval(() => this.dropStalled(), Math.min(1000, Math.max(50, this.stallTimeoutMs / 4))).unref();
    this.logger.info({ stream, transport, remote, hevcMode }, 'FLV viewer joined');
    // attach() may call sink.end() at once (stream already ended), closing the socket: keep the set right either way.
    viewer.detach = source.attach(sink);
    return viewer;
  }

  private remove(viewer: Viewer): void {
    viewer.detach();
    if (!this.viewers.delete(viewer)) return;
    this.stopWatchdogWhenIdle();
    this.logger.info({ stream: viewer.stream, transport: viewer.transport, ...viewer.sink.counters }, 'FLV viewer connection closed');
  }
}
