import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { EventHub } from './event-hub';
import type { TopicFilter } from './topic-filter';
import type { PlatformEvent } from './types';

export interface SseOptions {
  /** Comment lines sent this often keep proxies and idle timers from closing the stream. */
  heartbeatMs: number;
  /** A client that lets this many bytes pile up unread is dropped (it reconnects with Last-Event-ID). */
  maxBufferedBytes?: number;
  /** Resume after this event id (the Last-Event-ID header or query parameter). */
  lastEventId?: number | null;
  logger: Logger;
}

const DEFAULT_MAX_BUFFERED = 1024 * 1024;

/** One event in the text/event-stream format; the data is the whole event as JSON, on one line. */
export function formatSseEvent(event: PlatformEvent): string {
  return `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Reads a Last-Event-ID value; null when absent or not one of our ids. */
export function readLastEventId(value: string | string[] | undefined | null): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === null || !/^\d{1,16}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Serves a server-sent events stream on a raw response: replays what the client missed, then
 * every matching event as it is published, with heartbeat comments in between. Ends on client
 * disconnect, when the hub closes, or when the client reads too slowly. Never blocks the hub:
 * writes are buffered by the socket and a stream that falls behind is dropped.
 */
export function serveSse(hub: EventHub, filter: TopicFilter, req: IncomingMessage, res: ServerResponse, options: SseOptions): void {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  let ended = false;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.socket?.setNoDelay(true);

  const write = (text: string): void => {
    if (ended) return;
    if (res.writableLength > maxBuffered) {
      options.logger.warn({ buffered: res.writableLength }, 'SSE client too slow: stream dropped');
      finish();
      return;
    }
    res.write(text);
  };

  const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
  heartbeat.unref();
  let subscription: { close(): void } | null = null;
  let removeCloseHandler: () => void = () => undefined;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    subscription?.close();
    removeCloseHandler();
    if (!res.writableEnded) res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
  res.on('error', finish);

  write('retry: 3000\n: connected\n\n');
  // Replay and subscribe in one turn: publish is synchronous, so nothing falls in between.
  if (options.lastEventId !== undefined && options.lastEventId !== null) {
    const { events, gap } = hub.replay(options.lastEventId, filter);
    if (gap) write(`event: gap\ndata: ${JSON.stringify({ after: String(options.lastEventId) })}\n\n`);
    for (const e of events) write(formatSseEvent(e));
  }
  if (ended) return;
  subscription = hub.subscribe(filter, (event) => write(formatSseEvent(event)));
  removeCloseHandler = hub.onClose(finish);
}
