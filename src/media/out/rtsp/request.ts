/** An RTSP request (RFC 2326 6) as read off the control connection. */
export interface RtspRequest {
  method: string;
  uri: string;
  /** 'RTSP/1.0' normally; the server answers other versions with 505. */
  version: string;
  /** Header names in lower case; a repeated header's values are joined with ', '. */
  headers: Map<string, string>;
  /** The CSeq value, or -1 when missing or not a number. */
  cseq: number;
  body: Buffer;
}

export type RtspReadResult =
  /** A whole request of `length` bytes. */
  | { kind: 'request'; request: RtspRequest; length: number }
  /** An interleaved frame (RFC 2326 10.12) of `length` bytes: '$', channel, 16-bit size, data. */
  | { kind: 'interleaved'; channel: number; payload: Buffer; length: number }
  /** A message that frames fine (its end is known) but is not a valid request: answer 400, go on. */
  | { kind: 'bad-request'; length: number; cseq: number; reason: string }
  /** More bytes are needed. */
  | { kind: 'incomplete' }
  /** The framing is lost (header too long, unreadable Content-Length): answer 400 and close. */
  | { kind: 'invalid'; reason: string };

export interface RtspReadLimits {
  /** Request line and headers, in bytes. Default 8 KiB. */
  maxHeaderBytes?: number;
  /** Body (GET_PARAMETER, SET_PARAMETER). Default 64 KiB. */
  maxBodyBytes?: number;
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

/** Bytes of CR/LF at the start of `buf`: clients send bare line ends as keepalives, and they separate nothing. */
export function leadingLineEnds(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && (buf[i] === CR || buf[i] === LF)) i++;
  return i;
}

/**
 * Reads the first message in `buf` (which starts at a message boundary, after leadingLineEnds).
 * Never throws and never reads past `buf`.
 */
export function readRtspMessage(buf: Buffer, limits: RtspReadLimits = {}): RtspReadResult {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === DOLLAR) {
    if (buf.length < 4) return { kind: 'incomplete' };
    const size = buf.readUInt16BE(2);
    if (buf.length < 4 + size) return { kind: 'incomplete' };
    return { kind: 'interleaved', channel: buf[1] ?? 0, payload: buf.subarray(4, 4 + size), length: 4 + size };
  }
  const maxHeader = limits.maxHeaderBytes ?? 8192;
  const head = findHeaderEnd(buf, maxHeader);
  if (head === null) {
    return buf.length > maxHeader ? { kind: 'invalid', reason: 'header too long' } : { kind: 'incomplete' };
  }
  const lines = buf.toString('utf8', 0, head.textEnd).split(/\r?\n/);
  const headers = new Map<string, string>();
  const headerError = readHeaders(lines, headers);
  const cseq = parseCseq(headers.get('cseq'));
  const lengthText = headers.get('content-length');
  let bodyLength = 0;
  if (lengthText !== undefined) {
    if (!/^\s*\d{1,9}\s*$/.test(lengthText)) return { kind: 'invalid', reason: 'bad Content-Length' };
    bodyLength = Number(lengthText);
    if (bodyLength > (limits.maxBodyBytes ?? 65536)) return { kind: 'invalid', reason: 'body too large' };
  }
  const length = head.bodyStart + bodyLength;
  if (buf.length < length) return { kind: 'incomplete' };
  if (headerError !== null) return { kind: 'bad-request', length, cseq, reason: headerError };
  const requestLine = /^([A-Za-z_-]{1,32}) (\S{1,4096}) (RTSP\/\d\.\d)$/.exec(lines[0] ?? '');
  if (requestLine === null) return { kind: 'bad-request', length, cseq, reason: 'bad request line' };
  return {
    kind: 'request',
    length,
    request: {
      method: requestLine[1] ?? '',
      uri: requestLine[2] ?? '',
      version: requestLine[3] ?? '',
      headers,
      cseq,
      body: buf.subarray(head.bodyStart, length),
    },
  };
}

/** Where the header block ends: accepts CRLF CRLF and, leniently, LF LF. */
function findHeaderEnd(buf: Buffer, maxHeader: number): { textEnd: number; bodyStart: number } | null {
  const window = buf.length > maxHeader + 4 ? buf.subarray(0, maxHeader + 4) : buf;
  const crlf = window.indexOf('\r\n\r\n');
  const lf = window.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { textEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { textEnd: lf, bodyStart: lf + 2 };
  return null;
}

/** Fills `headers` from lines[1..]; returns why they are unreadable, or null. */
function readHeaders(lines: string[], headers: Map<string, string>): string | null {
  let last = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== '') {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`); // obsolete line folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return 'header line without a name';
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return 'bad header name';
    const value = line.slice(colon + 1).trim();
    const known = headers.get(name);
    headers.set(name, known === undefined ? value : `${known}, ${value}`);
    last = name;
  }
  return null;
}

function parseCseq(text: string | undefined): number {
  if (text === undefined || !/^\s*\d{1,9}\s*$/.test(text)) return -1;
  return Number(text);
}
