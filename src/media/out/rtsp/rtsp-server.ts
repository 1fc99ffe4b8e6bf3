import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../logger';
import type { UrlTokenSigner } from '../../access/url-token';
import type { MediaSource } from '../../source/media-source';
import { RtspConnection } from './connection';
import { handleRequest, newSessionId, type RtspServerContext } from './methods';
import { DEFAULT_MAX_PAYLOAD } from './rtp-payload';
import { RtspSession } from './session';
import type { UdpPortRange } from './udp-ports';

export interface RtspServerOptions {
  host: string;
  /** 0 picks a free port; listen() tells which. */
  port: number;
  sources: { get(stream: string): MediaSource | undefined };
  /** Checks `?token=` on DESCRIBE and SETUP; null serves every stream to anyone. */
  tokens: UrlTokenSigner | null;
  /** A session with no request, RTCP or interleaved data for this long is ended. Default 60. */
  sessionTimeoutSec?: number;
  logger: Logger;
  /** Our address in the SDP o= line and in URLs when the client's request URL gives no host. */
  publicHost?: string;
  /** Server ports for RTP over UDP; by default each track gets an ephemeral even/odd pair. */
  udpPorts?: UdpPortRange;
  /** How long a DESCRIBE waits for a stream that has no key frame yet (on-demand pull). Default 10. */
  readyTimeoutSec?: number;
  /** RTP payload bytes at most. Default 1400. */
  maxPayload?: number;
}

export interface RtspServerStats {
  connections: number;
  sessions: number;
  playing: number;
  tcpSessions: number;
  udpSessions: number;
  requests: number;
  /** Sessions ended for missing keepalives. */
  timeouts: number;
  rtpPackets: number;
  rtpBytes: number;
}

export interface RtspServer {
  listen(): Promise<{ port: number }>;
  /** Ends every session and connection and stops listening. */
  close(): Promise<void>;
  stats(): RtspServerStats;
}

/** An RTSP 1.0 server (RFC 2326) for live streams at `rtsp://host:port/live/{stream}?token=...`. */
export function createRtspServer(options: RtspServerOptions): RtspServer {
  return new RtspServerImpl(options);
}

class RtspServerImpl implements RtspServer {
  private readonly server: Server;
  private readonly connections = new Set<RtspConnection>();
  private readonly sessions = new Map<string, RtspSession>();
  private readonly waits = new Set<() => void>();
  private readonly ctx: RtspServerContext;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly counters = { requests: 0, timeouts: 0, rtpPackets: 0, rtpBytes: 0 };
  private sweeper: NodeJS.Timeout | null = null;
  private nextConnectionId = 1;
  private port = 0;
  private closing = false;

  constructor(private readonly options: RtspServerOptions) {
    this.logger = options.logger;
    const timeoutSec = Math.max(1, Math.ceil(options.sessionTimeoutSec ?? 60));
    this.timeoutMs = (options.sessionTimeoutSec ?? 60) * 1000;
    this.ctx = {
      sources: options.sources,
      tokens: options.tokens,
      logger: options.logger,
      publicHost: options.publicHost,
      udpPorts: options.udpPorts,
      sessionTimeoutSec: timeoutSec,
      readyTimeoutMs: (options.readyTimeoutSec ?? 10) * 1000,
      listenPort: () => this.port,
      sessions: this.sessions,
      newSession: (conn, stream, source) => this.newSession(conn, stream, source),
      waitUntilReady: (source, ms) => this.waitUntilReady(source, ms),
    };
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.error({ err }, 'rtsp server error'));
  }

  listen(): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : this.options.port;
        const every = Math.min(5000, Math.max(100, this.timeoutMs / 4));
        this.sweeper = setInterval(() => this.sweep(), every);
        this.logger.info({ host: this.options.host, port: this.port }, 'rtsp server listening');
        resolve({ port: this.port });
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const wake of [...this.waits]) wake();
    for (const session of [...this.sessions.values()]) session.close('server-closed');
    for (const conn of [...this.connections]) conn.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  stats(): RtspServerStats {
    let playing = 0;
    let tcp = 0;
    for (const s of this.sessions.values()) {
      if (s.state === 'playing') playing++;
      if (s.lower === 'tcp') tcp++;
    }
    return {
      connections: this.connections.size,
      sessions: this.sessions.size,
      playing,
      tcpSessions: tcp,
      udpSessions: this.sessions.size - tcp,
      ...this.counters,
    };
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new RtspConnection(
      this.nextConnectionId++,
      socket,
      {
        handle: (c, request) => {
          this.counters.requests++;
          return handleRequest(this.ctx, c, request);
        },
        interleaved: (c) => this.touchSessionsOf(c),
        closed: (c) => this.connectionClosed(c),
      },
      this.logger,
      Date.now,
    );
    this.connections.add(conn);
  }

  private newSession(conn: RtspConnection, stream: string, source: MediaSource): RtspSession {
    let id = newSessionId();
    while (this.sessions.has(id)) id = newSessionId();
    const session = new RtspSession(id, stream, source, conn, {
      logger: this.logger,
      now: Date.now,
      maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      sent: (packets, bytes) => {
        this.counters.rtpPackets += packets;
        this.counters.rtpBytes += bytes;
      },
      closed: (s, reason, byServer) => this.sessionClosed(s, reason, byServer),
    });
    this.sessions.set(id, session);
    this.logger.debug({ session: id, stream, connection: conn.id }, 'rtsp session created');
    return session;
  }

  private sessionClosed(session: RtspSession, reason: string, byServer: boolean): void {
    this.sessions.delete(session.id);
    this.logger.info({ session: session.id, stream: session.stream, reason }, 'rtsp session ended');
    // A client learns that the stream is over when its connection closes.
    if (byServer && session.owner instanceof RtspConnection && !this.hasSessions(session.owner)) session.owner.end();
  }

  private connectionClosed(conn: RtspConnection): void {
    this.connections.delete(conn);
    for (const s of [...this.sessions.values()]) if (s.owner === conn) s.close('connection-closed');
  }

  private hasSessions(conn: RtspConnection): boolean {
    for (const s of this.sessions.values()) if (s.owner === conn) return true;
    return false;
  }

  private touchSessionsOf(conn: RtspConnection): void {
    for (const s of this.sessions.values()) if (s.owner === conn) s.touch();
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastActivity <= this.timeoutMs) continue;
      this.counters.timeouts++;
      s.close('timeout', true);
    }
    for (const conn of [...this.connections]) {
      if (now - conn.lastActivity > this.timeoutMs && !this.hasSessions(conn)) conn.destroy();
    }
  }

  private waitUntilReady(source: MediaSource, ms: number): Promise<void> {
    if (source.ready || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        source.off('ready', wake);
        source.off('ended', wake);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      source.on('ready', wake);
      source.on('ended', wake);
      this.waits.add(wake);
    });
  }
}
