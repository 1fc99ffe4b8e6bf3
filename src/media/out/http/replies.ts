import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Players load these URLs from the web UI's origin (mpegts.js, hls.js), so every answer allows any origin. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Type',
};

export const ALLOWED_METHODS = 'GET, OPTIONS';

/** An error as the rest of the API answers it: status plus `{ error: { code, message } }`. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
}

export function errorBody(failure: HttpFailure): string {
  return JSON.stringify({ error: { code: failure.code, message: failure.message } });
}

export function sendError(res: ServerResponse, failure: HttpFailure, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(failure);
  res.writeHead(failure.status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    ...extraHeaders,
  });
  res.end(body);
}

/** The answer to a CORS preflight: every origin, our methods, whatever headers the page wants to send. */
export function sendPreflight(res: ServerResponse, requestedHeaders: string | undefined): void {
  res.writeHead(204, {
    ...CORS_HEADERS,
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': sanitizeHeaderList(requestedHeaders) ?? 'Range, Content-Type',
    'Access-Control-Max-Age': '86400',
    Allow: ALLOWED_METHODS,
    'Content-Length': '0',
  });
  res.end();
}

/** A refused WebSocket upgrade: the socket is not an HTTP response yet, so the answer is written by hand. */
export function rejectUpgrade(socket: Duplex, failure: HttpFailure): void {
  const body = errorBody(failure);
  const head = [
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Access-Control-Allow-Origin: *',
    'Connection: close',
  ];
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}

/** Echoes the requested header names only when they are plain tokens (no header injection). */
function sanitizeHeaderList(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 512) return undefined;
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/.test(value.trim()) ? value.trim() : undefined;
}
