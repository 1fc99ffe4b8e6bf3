import type { SipPeer, SipRequest, SipResponse } from '../message/types';
import { Headers, formatHostPort, parseNameAddr } from '../message';
import { Dialog, contactUri, type DialogHost, type DialogUsage } from './dialog';
import { tagOf, withTag } from './header-params';

/** RFC 3261 12.1: building a dialog from the message that establishes it. */

function seqOf(message: SipRequest | SipResponse): number {
  const n = Number.parseInt(message.headers.get('cseq') ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

function recordRoutes(message: SipRequest | SipResponse): string[] {
  return message.headers.getAll('record-route');
}

/** UAC side, from the 2xx to our INVITE or SUBSCRIBE: route set is Record-Route reversed. */
export function uacDialogFromResponse(host: DialogHost, sent: SipRequest, response: SipResponse, peer: SipPeer, usage: DialogUsage): Dialog {
  const from = response.headers.get('from') ?? sent.headers.get('from') ?? '';
  const to = response.headers.get('to') ?? sent.headers.get('to') ?? '';
  const contact = response.headers.get('contact');
  const seq = seqOf(sent);
  return new Dialog(host, {
    usage,
    role: 'uac',
    callId: response.headers.get('call-id') ?? sent.headers.get('call-id') ?? '',
    localTag: tagOf(from) ?? '',
    remoteTag: tagOf(to) ?? '',
    localAddress: from,
    remoteAddress: to,
    remoteTarget: (contact !== undefined ? contactUri(contact) : undefined) ?? sent.uri,
    routeSet: recordRoutes(response).reverse(),
    localSeq: seq,
    remoteSeq: undefined,
    localContact: sent.headers.get('contact'),
    peer,
    inviteSeq: usage === 'invite' ? seq : undefined,
    event: usage === 'subscribe' ? sent.headers.get('event') : undefined,
  });
}

/** Subscriber side, from a NOTIFY that beat the SUBSCRIBE's 2xx (RFC 6665 4.1.2.4). */
export function uacDialogFromNotify(host: DialogHost, sent: SipRequest, notify: SipRequest, peer: SipPeer): Dialog {
  const from = sent.headers.get('from') ?? '';
  const notifier = notify.headers.get('from') ?? '';
  const contact = notify.headers.get('contact');
  return new Dialog(host, {
    usage: 'subscribe',
    role: 'uac',
    callId: notify.headers.get('call-id') ?? '',
    localTag: tagOf(from) ?? '',
    remoteTag: tagOf(notifier) ?? '',
    localAddress: from,
    remoteAddress: notifier,
    remoteTarget: (contact !== undefined ? contactUri(contact) : undefined) ?? sent.uri,
    routeSet: recordRoutes(notify),
    localSeq: seqOf(sent),
    remoteSeq: seqOf(notify),
    localContact: sent.headers.get('contact'),
    peer,
    event: sent.headers.get('event'),
  });
}

/** UAS side, from an INVITE or SUBSCRIBE we are about to answer with `toTag`: route set is Record-Route in order. */
export function uasDialogFromRequest(host: DialogHost, request: SipRequest, peer: SipPeer, toTag: string, localContact: string | undefined): Dialog {
  const from = request.headers.get('from') ?? '';
  const contact = request.headers.get('contact');
  const usage: DialogUsage = request.method === 'SUBSCRIBE' ? 'subscribe' : 'invite';
  return new Dialog(host, {
    usage,
    role: 'uas',
    callId: request.headers.get('call-id') ?? '',
    localTag: toTag,
    remoteTag: tagOf(from) ?? '',
    localAddress: withTag(request.headers.get('to') ?? '', toTag),
    remoteAddress: from,
    remoteTarget: (contact !== undefined ? contactUri(contact) : undefined) ?? `sip:${formatHostPort(peer.address, peer.port)}`,
    routeSet: recordRoutes(request),
    localSeq: 0,
    remoteSeq: seqOf(request),
    localContact,
    peer,
    event: usage === 'subscribe' ? request.headers.get('event') : undefined,
  });
}

/**
 * A throw-away dialog for a 2xx nobody wants (its INVITE timed out, or a forked second answer),
 * built from the response alone so that it can be ACKed and hung up (RFC 3261 13.2.2.4).
 */
export function orphanDialog(host: DialogHost, response: SipResponse, peer: SipPeer): Dialog {
  const cseqOnly = new Headers([['cseq', response.headers.get('cseq') ?? '']]);
  const synthetic: SipRequest = { type: 'request', method: 'INVITE', uri: '', headers: cseqOnly, body: Buffer.alloc(0) };
  return uacDialogFromResponse(host, synthetic, response, peer, 'invite');
}

/** Our Contact for a UAS dialog: the user the request was addressed to, at our transport address. */
export function uasContact(local: { host: string; port: number }, transport: SipPeer['transport'], request: SipRequest): string {
  const user = parseNameAddr(request.headers.get('to') ?? '')?.uri.user;
  const transportParam = transport === 'tcp' ? ';transport=tcp' : '';
  return `<sip:${user !== undefined ? `${user}@` : ''}${formatHostPort(local.host, local.port)}${transportParam}>`;
}
