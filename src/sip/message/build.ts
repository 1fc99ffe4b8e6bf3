import type { SipHeaderEntry, SipRequest, SipResponse } from './types';
import { Headers } from './headers';
import { generateTag } from './random';

export { generateBranch, generateCallId, generateTag } from './random';

const EMPTY_BODY = Buffer.alloc(0);

const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, 'Trying'],
  [180, 'Ringing'],
  [181, 'Call Is Being Forwarded'],
  [182, 'Queued'],
  [183, 'Session Progress'],
  [200, 'OK'],
  [202, 'Accepted'],
  [301, 'Moved Permanently'],
  [302, 'Moved Temporarily'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [413, 'Request Entity Too Large'],
  [415, 'Unsupported Media Type'],
  [420, 'Bad Extension'],
  [423, 'Interval Too Brief'],
  [480, 'Temporarily Unavailable'],
  [481, 'Call/Transaction Does Not Exist'],
  [482, 'Loop Detected'],
  [483, 'Too Many Hops'],
  [486, 'Busy Here'],
  [487, 'Request Terminated'],
  [488, 'Not Acceptable Here'],
  [489, 'Bad Event'],
  [491, 'Request Pending'],
  [500, 'Server Internal Error'],
  [501, 'Not Implemented'],
  [503, 'Service Unavailable'],
  [504, 'Server Time-out'],
  [505, 'Version Not Supported'],
  [513, 'Message Too Large'],
  [600, 'Busy Everywhere'],
  [603, 'Decline'],
]);

/** Default reason phrase for a status code (a generic one per class for codes not listed). */
export function reasonPhrase(status: number): string {
  const known = REASON_PHRASES.get(status);
  if (known !== undefined) return known;
  if (status < 200) return 'Session Progress';
  if (status < 300) return 'OK';
  if (status < 400) return 'Redirection';
  if (status < 500) return 'Client Error';
  if (status < 600) return 'Server Error';
  return 'Global Failure';
}

export function createRequest(init: { method: string; uri: string; headers: Array<[string, string]>; body?: Buffer }): SipRequest {
  return {
    type: 'request',
    method: init.method,
    uri: init.uri,
    headers: new Headers(init.headers),
    body: init.body ?? EMPTY_BODY,
  };
}

/**
 * A response to `request` (RFC 3261 §8.2.6): every Via line in order, From, To, Call-ID and CSeq
 * copied. A To without a tag gets `toTag` (or a fresh tag) on any response above 100; pass the
 * same `toTag` for every response of one transaction.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  extra?: { headers?: Array<[string, string]>; body?: Buffer; toTag?: string },
): SipResponse {
  const entries: SipHeaderEntry[] = [];
  for (const e of request.headers.entries()) {
    if (e.name === 'via') entries.push({ name: 'via', value: e.value });
  }
  const from = request.headers.get('from');
  if (from !== undefined) entries.push({ name: 'from', value: from });
  let to = request.headers.get('to');
  if (to !== undefined) {
    if (status > 100 && !hasTagParam(to)) to = `${to};tag=${extra?.toTag ?? generateTag()}`;
    entries.push({ name: 'to', value: to });
  }
  for (const name of ['call-id', 'cseq']) {
    const value = request.headers.get(name);
    if (value !== undefined) entries.push({ name, value });
  }
  const headers = Headers.fromCanonicalEntries(entries);
  for (const [name, value] of extra?.headers ?? []) headers.append(name, value);
  return {
    type: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers,
    body: extra?.body ?? EMPTY_BODY,
  };
}

/** Whether a From/To value carries a `tag` header parameter (outside the <...> URI and quotes). */
export function hasTagParam(value: string): boolean {
  return headerParamsOf(value).search(/;\s*tag\s*=/i) !== -1;
}

/** The header-parameter part of a name-addr value (after `>`, or after the first `;` of a bare URI). */
function headerParamsOf(value: string): string {
  const gt = value.lastIndexOf('>');
  if (gt !== -1) return value.slice(gt + 1);
  const semi = value.indexOf(';');
  return semi === -1 ? '' : value.slice(semi);
}
