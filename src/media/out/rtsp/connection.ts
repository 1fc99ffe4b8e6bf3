import type { Socket } from 'node:net';
import type { Logger } from '../../../logger';
import { leadingLineEnds, readRtspMessage, type RtspRequest } from './request';
import { formatRtspResponse, rtspResponse, type RtspResponse } from './response';

export const SERVER_NAME = 'gbvms';

/** What a request handler returns: the answer, and what to do once it is on the wire (PLAY starts sending). */
export interface HandledRequest {
  response: RtspResponse;
  afterWrite?: () => void;
}

export interface RtspConnectionHandler {
  handle(connection: RtspConnection, request: RtspRequest): HandledRequest | Promise<HandledRequest>;
  /** Interleaved data from the client (RTCP receiver reports): skipped, but it shows the client is alive. */
  interleaved(connection: RtspConnection, channel: number): void;
  closed(connection: RtspConnection): void;
}

type QueuedItem = { kind: 'request'; request: RtspRequest } | { kind: 'refuse'; cseq: number; close: boolean; reason: string };

/** Requests a client may send ahead of our answers before we call it a flood. */
const MAX_QUEUED = 32;
/** Bytes of an unfinished message we hold: a request's header and body limits, or a 64 KiB interleaved frame. */
const MAX_BUFFERED = 80 * 1024;

/**
 * One RTSP control connection: cuts the byte stream into requests and interleaved frames (several
 * in one read, or one across many), answers requests one at a time in order, and writes the
 * interleaved RTP of the sessions it set up.
 */
export class RtspConnection {
  readonly authorizedStreams = new Set<string>();
  lastActivity: number;
  private buffered: Buffer | null = null;
  private readonly queue: QueuedItem[] = [];
  private busy = false;
  private stopped = false;
  private isClosed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly handler: RtspConnectionHandler,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.lastActivity = now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ err, connection: id }, 'rtsp connection error'));
    socket.on('close', () => this.onClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes the connection now; pending output is dropped. */
  destroy(): void {
    this.stopped = true;
    this.socket.destroy();
  }

  /** Closes the connection after what is already queued for writing. */
  end(): void {
    this.stopped = true;
    this.socket.end();
    // A client that never reads would keep it half-open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    this.lastActivity = this.now();
    let buf = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = null;
    while (buf.length > 0 && !this.stopped) {
      const skip = leadingLineEnds(buf);
      if (skip > 0) {
        buf = buf.subarray(skip);
        continue;
      }
      const result = readRtspMessage(buf);
      if (result.kind === 'incomplete') {
        if (buf.length > MAX_BUFFERED) this.refuse(-1, true, 'message too large');
        else this.buffered = Buffer.from(buf); // a copy, so the read buffer it came from can go
        break;
      }
      if (result.kind === 'invalid') {
        this.refuse(-1, true, result.reason);
        break;
      }
      buf = buf.subarray(result.length);
      if (result.kind === 'interleaved') this.handler.interleaved(this, result.channel);
      else if (result.kind === 'bad-request') this.refuse(result.cseq, false, result.reason);
      else this.enqueue({ kind: 'request', request: result.request });
    }
    void this.pump();
  }

  private refuse(cseq: number, close: boolean, reason: string): void {
    if (close) {
      this.stopped = true;
      this.buffered = null;
    }
    this.enqueue({ kind: 'refuse', cseq, close, reason });
  }

  private enqueue(item: QueuedItem): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.logger.debug({ connection: this.id }, 'rtsp client sent too many requests ahead; closing');
      this.destroy();
      return;
    }
    this.queue.push(item);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let item = this.queue.shift(); item !== undefined && !this.isClosed; item = this.queue.shift()) {
        if (item.kind === 'refuse') {
          this.logger.debug({ connection: this.id, reason: item.reason }, 'rtsp bad request');
          this.write(rtspResponse(400), item.cseq);
          if (item.close) this.end();
          continue;
        }
        const handled = await this.handle(item.request);
        if (this.isClosed) break;
        this.write(handled.response, item.request.cseq);
        if (handled.response.close === true) this.end();
        else handled.afterWrite?.();
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(request: RtspRequest): Promise<HandledRequest> {
    try {
      return await this.handler.handle(this, request);
    } catch (err) {
      this.logger.error({ err, connection: this.id, method: request.method }, 'rtsp request handler failed');
      return { response: rtspResponse(500) };
    }
  }

  private write(response: RtspResponse, cseq: number): void {
    if (this.socket.writable) this.socket.write(formatRtspResponse(response, cseq, SERVER_NAME));
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopped = true;
    this.queue.length = 0;
    this.buffered = null;
    this.handler.closed(this);
  }
}
