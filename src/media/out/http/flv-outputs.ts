import type { ServerResponse } from 'node:http';
import { WebSocket } from 'ws';
import type { SinkEndReason } from '../../source/types';
import type { FlvOutput } from './flv-sink';

/** How long a viewer whose stream ended gets to take the rest of its bytes before the socket is cut. */
const GRACEFUL_END_MS = 2000;

/**
 * HTTP-FLV: a chunked response. Writes never wait for the client: the backlog shows in
 * writableLength (the response's own buffer plus the socket's), which the MediaSource polices.
 */
export function httpFlvOutput(res: ServerResponse): FlvOutput {
  return {
    send(chunk) {
      if (!res.destroyed && !res.writableEnded) res.write(chunk);
    },
    pendingBytes() {
      return res.destroyed ? 0 : res.writableLength;
    },
    close(reason: SinkEndReason) {
      if (res.destroyed) return;
      // A viewer dropped for being slow, or a server shutting down, is not owed the backlog.
      if (reason !== 'stream-ended') {
        res.destroy();
        return;
      }
      res.end();
      setTimeout(() => res.destroy(), GRACEFUL_END_MS).unref();
    },
  };
}

/** WS-FLV: one binary message per chunk; the backlog is ws's bufferedAmount. */
export function wsFlvOutput(ws: WebSocket): FlvOutput {
  return {
    send(chunk) {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk, { binary: true });
    },
    pendingBytes() {
      return ws.readyState === WebSocket.OPEN ? ws.bufferedAmount : 0;
    },
    close(reason: SinkEndReason) {
      if (ws.readyState === WebSocket.CLOSED) return;
      if (reason !== 'stream-ended') {
        ws.terminate();
        return;
      }
      ws.close(1000, 'stream ended');
      setTimeout(() => ws.terminate(), GRACEFUL_END_MS).unref();
    },
  };
}
