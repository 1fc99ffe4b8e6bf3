import type { SipRequest, SipResponse } from '../message/types';
import { Headers } from '../message';

const EMPTY = Buffer.alloc(0);

/**
 * The requests a client transaction derives from the INVITE it sent (which carries our Via):
 * RFC 3261 17.1.1.3 (ACK for a non-2xx final) and 9.1 (CANCEL). Both keep the INVITE's top Via,
 * so its branch, and its Request-URI, From, Call-ID, CSeq number and Route set.
 */
function derive(invite: SipRequest, method: 'ACK' | 'CANCEL', to: string | undefined): SipRequest {
  const src = invite.headers;
  const headers = new Headers();
  const via = src.get('via');
  if (via !== undefined) headers.append('via', via);
  for (const name of ['max-forwards', 'from']) {
    const v = src.get(name);
    if (v !== undefined) headers.append(name, v);
  }
  if (to !== undefined) headers.append('to', to);
  const callId = src.get('call-id');
  if (callId !== undefined) headers.append('call-id', callId);
  const seq = Number.parseInt(src.get('cseq') ?? '', 10);
  headers.append('cseq', `${Number.isFinite(seq) ? seq : 1} ${method}`);
  for (const e of src.entries()) if (e.name === 'route') headers.append('route', e.value);
  const ua = src.get('user-agent');
  if (ua !== undefined) headers.append('user-agent', ua);
  return { type: 'request', method, uri: invite.uri, headers, body: EMPTY };
}

/** The To of the ACK is the response's (it carries the UAS tag). */
export function ackForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  return derive(invite, 'ACK', response.headers.get('to') ?? invite.headers.get('to'));
}

export function cancelFor(invite: SipRequest): SipRequest {
  return derive(invite, 'CANCEL', invite.headers.get('to'));
}
