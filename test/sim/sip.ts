/**
 * The simulator's view of SIP: inbound bytes are parsed with the platform's parser
 * (src/sip/message; TCP framing is ./framing, to keep each message's exact bytes); outbound messages are written as text by the simulator itself (firmware
 * style), so line endings, header order and Content-Length stay under the simulator's control.
 */
import { randomBytes } from 'node:crypto';
import { parseSipMessage } from '../../src/sip/message';
import type { SipMessage, SipParseResult, SipRequest } from '../../src/sip/message/types';

export { parseSipMessage };
export type { SipMessage, SipParseResult, SipRequest };

export type Eol = '\r\n' | '\n';

const processToken = randomBytes(4).toString('hex');
let counter = 0;

/** A branch unique in this process without a syscall per request (thousands per second in a fleet). */
export function newBranch(): string {
  counter = (counter + 1) % 0x7fffffff;
  return `z9hG4bK${processToken}${counter.toString(36)}`;
}

/** Numeric tags and Call-ID parts, as embedded devices write them. */
export function newNumericToken(): string {
  return String(Math.floor(Math.random() * 9e9) + 1e9);
}

export function newCallId(host: string): string {
  counter = (counter + 1) % 0x7fffffff;
  return `${newNumericToken()}${counter.toString(36)}@${host}`;
}

export interface OutgoingRequest {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  eol: Eol;
}

/** Serializes a request; Content-Length is appended last and counts the body's bytes. */
export function writeRequest(req: OutgoingRequest): Buffer {
  const body = req.body ?? Buffer.alloc(0);
  const lines = [`${req.method} ${req.uri} SIP/2.0`];
  for (const [name, value] of req.headers) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join(req.eol) + req.eol + req.eol, 'utf8');
  return body.length === 0 ? head : Buffer.concat([head, body]);
}

/**
 * Serializes a response to `request`: Via, From, To (tagged unless `toTag` is null or the To has one),
 * Call-ID and CSeq copied, then `extra`, then the body with its Content-Type when given.
 */
export function writeResponse(
  request: SipRequest,
  status: number,
  reason: string,
  toTag: string | null,
  extra: Array<[string, string]>,
  eol: Eol,
  body?: { type: string; bytes: Buffer },
): Buffer {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const via of request.headers.getAll('via')) lines.push(`Via: ${via}`);
  const to = request.headers.get('to') ?? '';
  lines.push(`From: ${request.headers.get('from') ?? ''}`);
  lines.push(`To: ${toTag === null || /;\s*tag=/i.test(to) ? to : `${to};tag=${toTag}`}`);
  lines.push(`Call-ID: ${request.headers.get('call-id') ?? ''}`);
  lines.push(`CSeq: ${request.headers.get('cseq') ?? ''}`);
  for (const [name, value] of extra) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Type: ${body.type}`);
  lines.push(`Content-Length: ${body?.bytes.length ?? 0}`);
  const head = Buffer.from(lines.join(eol) + eol + eol, 'utf8');
  return body ? Buffer.concat([head, body.bytes]) : head;
}

/** Branch parameter of the topmost Via, undefined when absent. */
export function topBranch(message: SipMessage): string | undefined {
  const via = message.headers.get('via');
  if (via === undefined) return undefined;
  return /;\s*branch=([^;,\s]+)/i.exec(via)?.[1];
}

/** User part of a SIP URI found anywhere in `text` (Request-URI, To, From). */
export function uriUser(text: string): string | undefined {
  return /sips?:([^@;>\s]+)@/i.exec(text)?.[1];
}
