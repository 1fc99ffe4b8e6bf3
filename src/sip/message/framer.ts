import type { SipParseErrorCode, SipParseResult } from './types';
import { DEFAULT_MAX_MESSAGE_SIZE, findHeaderEnd, parseSipMessage, skipLineBreaks } from './parse';

export interface SipStreamFramerOptions {
  /** A message (headers + body) larger than this breaks the stream (default 65535). */
  maxMessageSize?: number;
}

/** A framed result with the number of bytes it took on the wire. */
export interface SipFrame {
  result: SipParseResult;
  size: number;
}

/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3), skipping the
 * CRLF keep-alives of RFC 5626 between messages. A message may arrive in any number of chunks;
 * each byte is scanned once. After a framing error ('too-large', unparseable Content-Length) the
 * stream cannot be resynchronized: `broken` turns true and the caller closes the connection.
 *
 * Parsed messages reference the chunk or internal buffer they came from (no copy); the framer
 * never writes to memory it has handed out.
 */
export class SipStreamFramer {
  private readonly maxSize: number;
  /** Bytes of an incomplete message live in pending[0, pendingLength); pending[0] starts the message. */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  /** Offset in the pending message from which the blank-line search resumes. */
  private scanOffset = 0;
  /** Total size of the pending message once its headers (and so its Content-Length) are known, else -1. */
  private messageSize = -1;
  private isBroken = false;

  constructor(options: SipStreamFramerOptions = {}) {
    this.maxSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  get broken(): boolean {
    return this.isBroken;
  }

  /** Bytes held for a message not yet complete. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): SipParseResult[] {
    const frames = this.pushFrames(chunk);
    const results: SipParseResult[] = [];
    for (const f of frames) results.push(f.result);
    return results;
  }

  pushFrames(chunk: Buffer): SipFrame[] {
    const frames: SipFrame[] = [];
    if (this.isBroken || chunk.length === 0) return frames;
    let data: Buffer;
    if (this.pendingLength === 0) {
      data = chunk;
    } else {
      data = this.append(chunk);
    }
    let pos = 0;
    for (;;) {
      if (this.messageSize === -1) {
        if (this.scanOffset === 0) pos = skipLineBreaks(data, pos, data.length);
        if (pos >= data.length) break;
        const headerEnd = findHeaderEnd(data, pos + this.scanOffset, data.length);
        if (headerEnd === -1) {
          if (data.length - pos > this.maxSize) return this.breakStream(frames, 'too-large', 'headers exceed the maximum message size');
          this.scanOffset = Math.max(0, data.length - 2 - pos);
          break;
        }
        const contentLength = contentLengthOf(data, pos, headerEnd);
        if (contentLength === null) return this.breakStream(frames, 'bad-content-length', 'unreadable Content-Length on a stream');
        this.messageSize = headerEnd - pos + contentLength;
        if (this.messageSize > this.maxSize) {
          return this.breakStream(frames, 'too-large', `message of ${this.messageSize} bytes exceeds ${this.maxSize}`);
        }
      }
      if (data.length - pos < this.messageSize) break;
      const size = this.messageSize;
      frames.push({ result: parseSipMessage(data.subarray(pos, pos + size), { maxSize: this.maxSize }), size });
      pos += size;
      this.messageSize = -1;
      this.scanOffset = 0;
    }
    this.keep(data, pos);
    return frames;
  }

  /** Appends to the pending buffer, growing it geometrically so many small chunks cost linear time. */
  private append(chunk: Buffer): Buffer {
    const needed = this.pendingLength + chunk.length;
    let target = this.pending as Buffer;
    if (target.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, target.length * 2));
      target.copy(grown, 0, 0, this.pendingLength);
      target = grown;
      this.pending = grown;
    }
    chunk.copy(target, this.pendingLength);
    this.pendingLength = needed;
    return target.subarray(0, needed);
  }

  /** Keeps data[pos..] for the next push; a fresh buffer whenever messages were handed out of `data`. */
  private keep(data: Buffer, pos: number): void {
    const rest = data.length - pos;
    if (rest === 0) {
      this.pending = null;
      this.pendingLength = 0;
      return;
    }
    if (pos === 0 && this.pending !== null && data.buffer === this.pending.buffer && data.byteOffset === this.pending.byteOffset) {
      return; // still the pending buffer, nothing consumed
    }
    const capacity = this.messageSize !== -1 ? this.messageSize : Math.max(4096, rest * 2);
    const fresh = Buffer.allocUnsafe(Math.max(capacity, rest));
    data.copy(fresh, 0, pos);
    this.pending = fresh;
    this.pendingLength = rest;
  }

  private breakStream(frames: SipFrame[], code: SipParseErrorCode, message: string): SipFrame[] {
    this.isBroken = true;
    this.pending = null;
    this.pendingLength = 0;
    frames.push({ result: { ok: false, error: { code, message } }, size: 0 });
    return frames;
  }
}

const CONTENT_LENGTH = 'content-length';

/**
 * Content-Length of the header block data[start, end) read straight from the bytes
 * (`Content-Length:` or compact `l:`, any case, padded). Missing -> 0; unreadable -> null.
 */
export function contentLengthOf(data: Buffer, start: number, end: number): number | null {
  let line = data.indexOf(0x0a, start);
  while (line !== -1 && line < end) {
    const p = line + 1;
    const after = matchContentLengthName(data, p, end);
    if (after !== -1) return readLengthValue(data, after, end);
    line = data.indexOf(0x0a, p);
  }
  return 0;
}

/** If a Content-Length header starts at p, the index after its colon; else -1. */
function matchContentLengthName(data: Buffer, p: number, end: number): number {
  let i = p;
  const first = (data[i] ?? 0) | 0x20;
  if (first === 0x6c /* l */ && !isNameByte(data[i + 1] ?? 0)) {
    i++;
  } else {
    for (let k = 0; k < CONTENT_LENGTH.length; k++, i++) {
      if (i >= end || ((data[i] as number) | 0x20) !== CONTENT_LENGTH.charCodeAt(k)) return -1;
    }
  }
  while (i < end && (data[i] === 0x20 || data[i] === 0x09)) i++;
  return i < end && data[i] === 0x3a ? i + 1 : -1;
}

function readLengthValue(data: Buffer, from: number, end: number): number | null {
  let i = from;
  while (i < end && (data[i] === 0x20 || data[i] === 0x09)) i++;
  let n = 0;
  let digits = 0;
  while (i < end) {
    const d = (data[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    digits++;
    i++;
  }
  while (i < end && (data[i] === 0x20 || data[i] === 0x09)) i++;
  const terminated = i >= end || data[i] === 0x0d || data[i] === 0x0a;
  return digits === 0 || digits > 9 || !terminated ? null : n;
}

function isNameByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e;
}
