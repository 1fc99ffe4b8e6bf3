import type { Via } from '../message/types';

/**
 * Map keys for transactions and dialogs. Separator \u0001 never occurs in header text
 * (control characters are not allowed there), so concatenation cannot collide.
 */
const SEP = '\u0001';

/** Whether a branch carries the RFC 3261 magic cookie (case-insensitively: some firmware lower-cases it). */
export function isRfc3261Branch(branch: string | null | undefined): branch is string {
  return typeof branch === 'string' && branch.length > 7 && branch.slice(0, 7).toLowerCase() === 'z9hg4bk';
}

export function sentBy(via: Via): string {
  return via.port === undefined ? via.host.toLowerCase() : `${via.host.toLowerCase()}:${via.port}`;
}

/** What identifies the transaction of an incoming request (RFC 3261 17.2.3). */
export interface ServerMatchFields {
  via: Via;
  method: string;
  callId: string;
  cseq: number;
  fromTag: string | undefined;
  /** Source address:port of the packet (or TCP connection). */
  source: string;
}

/**
 * Branch + sent-by + method (ACK folded onto INVITE), as RFC 3261 17.2.3 says, narrowed further
 * by Call-ID, CSeq number and the packet source. A true retransmission repeats all of them, while
 * firmware that reuses one branch for every request, or two devices behind one NAT claiming the
 * same private sent-by, no longer have their new requests swallowed as retransmissions.
 * RFC 2543 peers (no magic cookie) are matched on the From tag instead of the branch.
 */
export function serverTransactionKey(f: ServerMatchFields, methodOverride?: string): string {
  const m = methodOverride ?? (f.method === 'ACK' ? 'INVITE' : f.method);
  const branch = f.via.params.get('branch');
  const id = isRfc3261Branch(branch) ? branch : '2543' + SEP + (f.fromTag ?? '');
  return id + SEP + sentBy(f.via) + SEP + m + SEP + f.callId + SEP + f.cseq + SEP + f.source;
}

/** Client transactions: our own branch + CSeq method (a CANCEL shares its INVITE's branch). */
export function clientTransactionKey(branch: string, method: string): string {
  return branch + SEP + method;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return callId + SEP + localTag + SEP + remoteTag;
}

/** A SUBSCRIBE sent but not yet answered: NOTIFYs may arrive first (RFC 6665 4.1.2.4). */
export function earlySubscribeKey(callId: string, localTag: string): string {
  return callId + SEP + localTag;
}

/** An INVITE answered 2xx and waiting for its ACK (which carries a new branch). */
export function ackWaitKey(callId: string, cseq: number, fromTag: string | undefined): string {
  return callId + SEP + cseq + SEP + (fromTag ?? '');
}
