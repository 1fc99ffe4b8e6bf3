import type { ServerResponse } from 'node:http';
import type { Logger } from '../../../logger';
import type { MediaSource } from '../../source/media-source';
import { HlsSession } from './hls-session';
import { CORS_HEADERS, sendError } from './replies';

export interface HlsServiceOptions {
  targetDurationSec: number;
  windowSize: number;
  idleMs: number;
  /** How long the first playlist request waits for the first segment before answering anyway. */
  firstSegmentWaitMs: number;
  logger: Logger;
}

/** The HLS side of the server: one session per stream, made by the first playlist request. */
export class HlsService {
  private readonly sessions = new Map<string, HlsSession>();

  constructor(private readonly options: HlsServiceOptions) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  sessionStats(): { stream: string; segments: number; requests: number }[] {
    return [...this.sessions.values()].map((s) => s.stats);
  }

  async servePlaylist(res: ServerResponse, stream: string, source: MediaSource, token: string | null): Promise<void> {
    const session = this.sessionFor(stream, source);
    session.touch();
    // An empty live playlist makes players back off and retry; waiting for the first segment starts them at once.
    await session.waitForFirstSegment(this.options.firstSegmentWaitMs);
    if (res.destroyed) return;
    session.touch();
    const body = session.playlist(token ? `token=${encodeURIComponent(token)}` : '');
    res.writeHead(200, {
      ...CORS_HEADERS,
      'Content-Type': 'application/vnd.apple.mpegurl',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  }

  serveSegment(res: ServerResponse, stream: string, source: MediaSource, name: string): void {
    const session = this.sessions.get(stream);
    const data = session && session.source === source ? session.segment(name) : null;
    if (!session || data === null) {
      sendError(res, { status: 404, code: 'segment_not_found', message: `no segment ${name} for stream ${stream} (it may have left the playlist)` });
      return;
    }
    session.touch();
    res.writeHead(200, {
      ...CORS_HEADERS,
      'Content-Type': segmentContentType(name),
      'Content-Length': String(data.length),
      'Cache-Control': 'no-cache',
    });
    res.end(data);
  }

  closeAll(): void {
    for (const session of [...this.sessions.values()]) session.close();
  }

  /** The stream's session, made on first use, and made again when the stream was restarted under the same name. */
  private sessionFor(stream: string, source: MediaSource): HlsSession {
    const known = this.sessions.get(stream);
    if (known && known.source === source && !known.isClosed) return known;
    known?.close();
    const session = new HlsSession(stream, source, {
      targetDurationSec: this.options.targetDurationSec,
      windowSize: this.options.windowSize,
      idleMs: this.options.idleMs,
      logger: this.options.logger,
      onClose: (closed) => {
        if (this.sessions.get(stream) === closed) this.sessions.delete(stream);
      },
    });
    this.sessions.set(stream, session);
    this.options.logger.info({ stream }, 'HLS segmenter attached');
    return session;
  }
}

function segmentContentType(name: string): string {
  if (name.endsWith('.m4s')) return 'video/iso.segment';
  if (name.endsWith('.mp4')) return 'video/mp4';
  return 'video/mp2t';
}
