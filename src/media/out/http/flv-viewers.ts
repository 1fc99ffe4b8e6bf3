import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { Logger } from '../../../logger';
import type { MediaSource } from '../../source/media-source';
import type { HevcMode } from '../flv/muxer';
import { httpFlvOutput, startHttpFlvResponse, wsFlvOutput } from './flv-outputs';
import { FlvSink, type FlvOutput } from './flv-sink';
import { CORS_HEADERS } from './replies';

export type FlvTransport = 'http-flv' | 'ws-flv';

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
    let n = 0;
    for (const v of this.viewers) if (v.transport === transport) n++;
    return n;
  }

  serveHttp(req: IncomingMessage, res: ServerResponse, stream: string, source: MediaSource, query: URLSearchParams): void {
    // One stream per connection: nothing to keep alive afterwards, and close() has no idle sockets to wait for.
    startHttpFlvResponse(res, { ...CORS_HEADERS, 'Content-Type': 'video/x-flv', 'Cache-Control': 'no-cache, no-store' });
    req.socket.setTimeout(0);
    res.on('error', () => undefined);
    const viewer = this.add('http-flv', stream, source, httpFlvOutput(res), hevcModeOf(query), req.socket.remoteAddress);
    res.once('close', () => this.remove(viewer));
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
