import { MANSRTSP_METHODS } from './types';
import type { MansrtspMessage, MansrtspMethod, MansrtspRange, MansrtspRequest, MansrtspResponse, MansrtspResult } from './types';
import { parseRange } from './range';

/** Real bodies are under 100 bytes; anything this large is not a playback command. */
export const MAX_MANSRTSP_BYTES = 8192;
const MAX_HEADERS = 64;
const MAX_CSEQ = 0xffffffff;

const REQUEST_LINE = /^([A-Za-z]{1,16})[ \t]+(RTSP\/\d{1,2}\.\d{1,2})[ \t]*$/i;
const STATUS_LINE = /^RTSP\/\d{1,2}\.\d{1,2}[ \t]+(\d{3})(?:[ \t]+(.*))?$/i;
const DECIMAL = /^[+-]?(?:\d{1,12}(?:\.\d{0,12})?|\.\d{1,12})$/;

type Fail = { ok: false; error: string };

/**
 * Reads a MANSRTSP body (request or answer). Tolerates LF-only lines, lower-case and unknown
 * headers, `Scale: 1.000000`, `PauseTime: 0`, and a missing final blank line. Never throws.
 */
export function parseMansrtsp(body: Buffer | string): MansrtspResult<MansrtspMessage> {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (Buffer.isBuffer(body)) text = body.toString('latin1', 0, Math.min(body.length, MAX_MANSRTSP_BYTES + 1));
  else return fail('body is neither a Buffer nor a string');
  if (text.length > MAX_MANSRTSP_BYTES) return fail(`body larger than ${MAX_MANSRTSP_BYTES} bytes`);

  const lines = text.split(/\r\n|\r|\n/);
  let first = 0;
  while (first < lines.length && (lines[first] ?? '').trim() === '') first++;
  const startLine = (lines[first] ?? '').trim();
  if (startLine === '') return fail('empty body');
  const headers = readHeaders(lines, first + 1);
  if (!headers.ok) return headers;

  const cseq = readCseq(headers.value.get('cseq'));
  if (!cseq.ok) return cseq;

  const status = STATUS_LINE.exec(startLine);
  if (status) return readResponse(Number(status[1]), (status[2] ?? '').trim(), cseq.value, headers.value);
  const request = REQUEST_LINE.exec(startLine);
  if (request) return readRequest((request[1] ?? '').toUpperCase(), cseq.value, headers.value);
  return fail(`not a MANSRTSP start line: ${JSON.stringify(startLine.slice(0, 60))}`);
}

/** Header values by lower-case name; the first occurrence wins, folded lines are joined. */
function readHeaders(lines: string[], from: number): MansrtspResult<Map<string, string>> {
  const headers = new Map<string, string>();
  let last: string | null = null;
  let count = 0;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== null) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    if (++count > MAX_HEADERS) return fail(`more than ${MAX_HEADERS} header lines`);
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = null; // a stray line: devices add junk, the rest can still be read
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(name)) {
      last = null;
      continue;
    }
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return { ok: true, value: headers };
}

function readCseq(value: string | undefined): MansrtspResult<number> {
  if (value === undefined) return fail('missing CSeq');
  const m = /^(\d{1,10})(?:[ \t].*)?$/.exec(value);
  const n = m ? Number(m[1]) : NaN;
  if (!(n <= MAX_CSEQ)) return fail(`bad CSeq: ${JSON.stringify(value.slice(0, 40))}`);
  return { ok: true, value: n };
}

function readRequest(methodName: string, cseq: number, headers: Map<string, string>): MansrtspResult<MansrtspRequest> {
  const method = MANSRTSP_METHODS.find((m): m is MansrtspMethod => m === methodName);
  if (!method) return fail(`unsupported MANSRTSP method ${methodName}`);
  const scale = readScale(headers.get('scale'));
  if (scale === undefined) return fail(`bad Scale: ${JSON.stringify((headers.get('scale') ?? '').slice(0, 40))}`);
  const rangeText = headers.get('range');
  const range = rangeText === undefined ? null : parseRange(rangeText);
  if (rangeText !== undefined && range === null) return fail(`bad Range: ${JSON.stringify(rangeText.slice(0, 60))}`);
  const pauseTime = readPauseTime(headers.get('pausetime'));
  if (pauseTime === undefined) return fail(`bad PauseTime: ${JSON.stringify((headers.get('pausetime') ?? '').slice(0, 40))}`);
  return { ok: true, value: { kind: 'request', method, cseq, scale, range, pauseTime } };
}

function readResponse(status: number, reason: string, cseq: number, headers: Map<string, string>): MansrtspResult<MansrtspResponse> {
  if (status < 100) return fail(`bad status code ${status}`);
  const rtpInfo = headers.get('rtp-info');
  const rangeText = headers.get('range');
  // An answer's Scale and Range only inform: an unreadable one is dropped, the answer still counts.
  const range: MansrtspRange | null = rangeText === undefined ? null : parseRange(rangeText);
  const scale = readScale(headers.get('scale')) ?? null;
  return {
    ok: true,
    value: { kind: 'response', status, reason, cseq, rtpInfo: rtpInfo === undefined || rtpInfo === '' ? null : rtpInfo, scale, range },
  };
}

/** null when absent, undefined when unreadable; 0 is not a speed. */
function readScale(value: string | undefined): number | null | undefined {
  if (value === undefined) return null;
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n !== 0 ? n : undefined;
}

function readPauseTime(value: string | undefined): 'now' | number | null | undefined {
  if (value === undefined) return null;
  if (value.toLowerCase() === 'now') return 'now';
  if (!/^\d{1,12}(?:\.\d{0,9})?$/.test(value)) return undefined;
  return Number(value);
}

function fail(error: string): Fail {
  return { ok: false, error };
}
