import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { SinkEndReason } from '../../source/types';
import type { FlvOutput } from './flv-sink';

/** How long a viewer whose stream ended gets to take the rest of its bytes before the socket is cut. */
const GRACEFUL_END_MS = 2000;

/**
 * HTTP-FLV: the body runs until the connection closes (no chunked framing), and each tag goes
 * straight to the socket once the headers are out. Chunked encoding cost four buffers, a hex
 * string and a cork/uncork tick per tag, which at 25 tags a second per viewer was a visible share
 * of a live stream's CPU (docs/BENCHMARKS.md). Writes never wait for the client: the backlog shows
 * in writableLength, which the MediaSource polices.
 */
export function httpFlvOutput(res: ServerResponse): FlvOutput {
  const socket = res.socket;
  const open = (): boolean => socket !== null && !res.destroyed && !res.writableEnded && !socket.destroyed;
  return {
    send(chunk) {
      if (socket !== null && open()) socket.write(chunk);
    },
    sendParts(parts) {
      if (socket !== null && open()) writeCorked(socket, null, parts);
    },
    pendingBytes() {
      return res.destroyed || socket === null ? 0 : res.writableLength + socket.writableLength;
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

/**
 * Sends the headers of a close-delimited HTTP-FLV response: without Transfer-Encoding or
 * Content-Length the body ends when the connection does, as SRS and ZLMediaKit serve it.
 */
export function startHttpFlvResponse(res: ServerResponse, headers: Record<string, string>): void {
  // Node marks a response whose Transfer-Encoding was removed as close-delimited.
  res.removeHeader('transfer-encoding');
  res.writeHead(200, { ...headers, Connection: 'close' });
  res.flushHeaders();
}

/**
 * WS-FLV: one binary message per chunk; the backlog is ws's bufferedAmount (which counts the
 * socket's own buffer). `ws` sends a message from one buffer, so a video tag's pieces would have
 * to be joined, a copy of every frame for every viewer; instead they go out as one frame written
 * straight to the upgraded socket, corked so that header and pieces leave in one writev. `ws`
 * writes its own frames (pong, close) synchronously too (no permessage-deflate here), so frames
 * never interleave. 50 streams over TCP with one WS-FLV viewer each cost 0.204–0.207% of a core
 * per stream with the copy (docs/BENCHMARKS.md).
 */
export function wsFlvOutput(ws: WebSocket, socket: Socket): FlvOutput {
  const open = (): boolean => ws.readyState === WebSocket.OPEN && !socket.destroyed;
  return {
    send(chunk) {
      if (open()) ws.send(chunk, { binary: true });
    },
    sendParts(parts) {
      if (!open()) return;
      let length = 0;
      for (const p of parts) length += p.length;
      writeCorked(socket, wsBinaryFrameHeader(length), parts);
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

/** Writes `header` (if any) and `parts` corked, so that they leave in one writev when uncorked. */
function writeCorked(socket: Socket, header: Buffer | null, parts: readonly Buffer[]): void {
  socket.cork();
  if (header !== null) socket.write(header);
  for (const p of parts) socket.write(p);
  socket.uncork();
}

/** RFC 6455 5.2 header of an unmasked (server to client), final, binary frame of `length` bytes. */
export function wsBinaryFrameHeader(length: number): Buffer {
  if (length < 126) {
    const header = Buffer.allocUnsafe(2);
    header[0] = 0x82;
    header[1] = length;
    return header;
  }
  if (length < 0x10000) {
    const header = Buffer.allocUnsafe(4);
    header[0] = 0x82;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = 0x82;
  header[1] = 127;
  header.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  header.writeUInt32BE(length >>> 0, 6);
  return header;
}
