import { isUtf8 } from 'node:buffer';
import type { SipHeaders, SipMessage, SipParseError, SipParseErrorCode, SipParseResult } from './types';
import { Headers } from './headers';
import { parseCSeq } from './fields';
import { parseStartLine } from './start-line';
import { parseHeaderLines } from './header-lines';

export { parseContentLength } from './header-lines';

export const DEFAULT_MAX_MESSAGE_SIZE = 65535;

export interface ParseOptions {
  /** Larger inputs are rejected with 'too-large' before any work (default 65535). */
  maxSize?: number;
}

const REQUIRED_HEADERS = ['via', 'from', 'to', 'call-id', 'cseq'] as const;
const EMPTY_BODY = Buffer.alloc(0);

/**
 * Parses one whole SIP message (a UDP datagram, or a TCP message the framer cut out).
 * Total: returns a typed error for any input, never throws, never decodes the body; the body is
 * a subarray of `buf` (no copy).
 */
export function parseSipMessage(buf: Buffer, options?: ParseOptions): SipParseResult {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (buf.length > maxSize) return fail('too-large', `message of ${buf.length} bytes exceeds ${maxSize}`);
  const start = skipLineBreaks(buf, 0, buf.length);
  if (start >= buf.length) return fail('empty', 'no message');

  // Without the blank line the message was cut short; the headers are still read for `partial`.
  const headerEnd = findHeaderEnd(buf, start, buf.length);
  const bodyStart = headerEnd === -1 ? buf.length : headerEnd;
  const head = decodeHeaderBlock(buf, start, bodyStart);

  let firstLineEnd = head.indexOf('\n');
  if (firstLineEnd === -1) firstLineEnd = head.length;
  const startLineEnd = firstLineEnd > 0 && head.charCodeAt(firstLineEnd - 1) === 0x0d ? firstLineEnd - 1 : firstLineEnd;
  const startLine = parseStartLine(head, 0, startLineEnd);
  if (startLine === null) return fail('bad-start-line', `bad start line: ${head.slice(0, Math.min(startLineEnd, 80))}`);

  const block = parseHeaderLines(head, firstLineEnd + 1);
  const headers = Headers.fromCanonicalEntries(block.entries);
  const method = startLine.type === 'request' ? startLine.method : undefined;

  if (headerEnd === -1) return reject(method, headers, 'truncated', 'no blank line after the headers');
  if (block.error !== undefined) return reject(method, headers, 'bad-header', block.error);
  for (const name of REQUIRED_HEADERS) {
    if (!headers.has(name)) return reject(method, headers, 'missing-header', `missing ${name}`);
  }
  const cseqText = headers.get('cseq') as string;
  const cseq = parseCSeq(cseqText);
  if (cseq === null) return reject(method, headers, 'bad-header', `bad CSeq: ${cseqText.slice(0, 80)}`);
  if (method !== undefined && cseq.method !== method) {
    return reject(method, headers, 'bad-header', `CSeq method ${cseq.method} does not match ${method}`);
  }

  let body: Buffer;
  const contentLength = block.contentLength;
  if (contentLength === undefined) {
    body = bodyStart < buf.length ? buf.subarray(bodyStart) : EMPTY_BODY;
  } else if (contentLength < 0) {
    return reject(method, headers, 'bad-content-length', 'bad Content-Length');
  } else {
    const available = buf.length - bodyStart;
    if (contentLength > available) {
      return reject(method, headers, 'truncated', `Content-Length ${contentLength} but ${available} body bytes`);
    }
    body = contentLength === 0 ? EMPTY_BODY : buf.subarray(bodyStart, bodyStart + contentLength);
  }

  const message: SipMessage =
    startLine.type === 'request'
      ? { type: 'request', method: startLine.method, uri: startLine.uri, headers, body }
      : { type: 'response', status: startLine.status, reason: startLine.reason, headers, body };
  return { ok: true, message };
}

/**
 * Index just past the blank line ending the header block (CRLFCRLF, LFLF or a mix), or -1.
 * Only bytes in [from, to) are read.
 */
export function findHeaderEnd(buf: Buffer, from: number, to: number): number {
  let i = buf.indexOf(0x0a, from);
  while (i !== -1 && i < to) {
    const n = i + 1;
    if (n < to) {
      const b = buf[n];
      if (b === 0x0a) return n + 1;
      if (b === 0x0d && n + 1 < to && buf[n + 1] === 0x0a) return n + 2;
    }
    i = buf.indexOf(0x0a, n);
  }
  return -1;
}

/** Index of the first byte in [from, to) that is not CR or LF (keep-alive CRLFs before a message). */
export function skipLineBreaks(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/** Header text is ASCII in practice; UTF-8 display names are kept, anything else is read byte for byte. */
function decodeHeaderBlock(buf: Buffer, start: number, end: number): string {
  const block = buf.subarray(start, end);
  return isUtf8(block) ? block.toString('utf8') : block.toString('latin1');
}

function fail(code: SipParseErrorCode, message: string): SipParseResult {
  return { ok: false, error: { code, message } };
}

/** An error for a message whose start line parsed: requests carry what was read, to answer 4xx. */
function reject(method: string | undefined, headers: SipHeaders, code: SipParseErrorCode, message: string): SipParseResult {
  const error: SipParseError = { code, message };
  if (method !== undefined) error.partial = { method, headers };
  return { ok: false, error };
}
