import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import type { SipPeer, SipRequest, SipResponse } from '../message/types';
import { Headers, canonicalHeaderName, parseNameAddr } from '../message';
import type { RequestOptions, ServerTransactionContext } from './types';
import { SipDialogClosedError } from './errors';
import { dialogKey } from './keys';

/** What a dialog needs from the endpoint. */
export interface DialogHost {
  readonly logger: Logger;
  /** A client transaction (endpoint.request). */
  request(request: SipRequest, peer: SipPeer, opts?: RequestOptions): Promise<SipResponse>;
  /** Sends outside any transaction (ACK for a 2xx); adds our Via when the request has none. */
  sendStateless(request: SipRequest, peer: SipPeer): void;
  forget(dialog: Dialog): void;
}

export type DialogUsage = 'invite' | 'subscribe';
export type DialogRole = 'uac' | 'uas';

/** Everything that defines a dialog (RFC 3261 12.1), as seen from our side. */
export interface DialogInit {
  usage: DialogUsage;
  role: DialogRole;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From in requests we send in this dialog (name-addr with our tag). */
  localAddress: string;
  /** Their To in requests we send (name-addr with their tag). */
  remoteAddress: string;
  /** Request-URI of requests we send (the remote Contact). */
  remoteTarget: string;
  /** Route headers for requests we send, in order. */
  routeSet: string[];
  localSeq: number;
  remoteSeq: number | undefined;
  localContact: string | undefined;
  /** Where requests of this dialog are sent: where the peer's signaling reached us (NAT-safe). */
  peer: SipPeer;
  /** CSeq number of the INVITE, for the ACK (UAC INVITE dialogs). */
  inviteSeq?: number;
  /** Event header of the subscription (SUBSCRIBE dialogs). */
  event?: string;
}

export interface DialogEvents {
  /** An in-dialog request (BYE, INFO, NOTIFY, ...). Respond through ctx; unanswered ones get a default answer. */
  request: [request: SipRequest, ctx: ServerTransactionContext];
  /** The ACK for our 2xx to an INVITE (UAS dialogs). */
  ack: [request: SipRequest];
  closed: [];
}

export interface DialogRequestOptions extends RequestOptions {
  headers?: Array<[string, string]>;
  body?: Buffer;
}

const EMPTY = Buffer.alloc(0);
/** Headers the dialog fills in; a caller-given value replaces ours. */
const OWN_HEADERS = new Set(['contact']);

/**
 * An INVITE or SUBSCRIBE dialog (RFC 3261 12, RFC 6665). Created by the endpoint (invite,
 * subscribe, createServerDialog); whoever holds it owns it and closes it. close() is local and
 * idempotent; bye() ends the dialog with the peer first.
 */
export class Dialog extends EventEmitter<DialogEvents> {
  readonly id: string;
  readonly usage: DialogUsage;
  readonly role: DialogRole;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly localContact: string | undefined;
  readonly peer: SipPeer;
  readonly event: string | undefined;
  private localSeq: number;
  private remoteSeq: number | undefined;
  private inviteSeq: number | undefined;
  private ackRequest: SipRequest | null = null;
  private closedFlag = false;
  /** Requests that arrived before the owner could listen (NOTIFY before the SUBSCRIBE's 200). */
  private held: Array<[SipRequest, ServerTransactionContext]> | null = null;

  constructor(
    private readonly host: DialogHost,
    init: DialogInit,
  ) {
    super();
    this.usage = init.usage;
    this.role = init.role;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localAddress = init.localAddress;
    this.remoteAddress = init.remoteAddress;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = init.localContact;
    this.peer = init.peer;
    this.inviteSeq = init.inviteSeq;
    this.event = init.event;
    this.id = dialogKey(init.callId, init.localTag, init.remoteTag);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** An in-dialog request with the next CSeq and the route set. Resolves with the final response. */
  request(method: string, opts: DialogRequestOptions = {}): Promise<SipResponse> {
    if (this.closedFlag) return Promise.reject(new SipDialogClosedError(method, this.callId));
    if (method === 'ACK' || method === 'CANCEL') return Promise.reject(new TypeError(`${method} is not an in-dialog transaction: use ack()`));
    const seq = ++this.localSeq;
    const request = this.build(method, seq, opts.headers, opts.body);
    const pending = this.host.request(request, this.peer, { timeoutMs: opts.timeoutMs, onProvisional: opts.onProvisional });
    return method === 'INVITE' ? pending.then((response) => this.afterReinvite(response, seq)) : pending;
  }

  /** ACKs the 2xx of our INVITE (sent automatically unless the invite asked for manualAck). Repeats the same ACK if called again. */
  ack(body?: Buffer, headers?: Array<[string, string]>): void {
    if (this.role !== 'uac' || this.usage !== 'invite' || this.inviteSeq === undefined) {
      throw new Error('only the caller of an INVITE dialog sends its ACK');
    }
    if (this.ackRequest === null) this.ackRequest = this.build('ACK', this.inviteSeq, headers, body);
    this.host.sendStateless(this.ackRequest, this.peer);
  }

  /**
   * Ends the dialog with the peer, then closes it: BYE for an INVITE dialog; for a SUBSCRIBE
   * dialog an unsubscribe (SUBSCRIBE with Expires: 0) as subscriber, or a terminating NOTIFY as notifier.
   */
  bye(opts: RequestOptions = {}): Promise<SipResponse> {
    if (this.closedFlag) return Promise.reject(new SipDialogClosedError('BYE', this.callId));
    let request: SipRequest;
    if (this.usage === 'invite') {
      // A 2xx must be ACKed before the BYE (RFC 3261 15).
      if (this.role === 'uac' && this.ackRequest === null) this.ack();
      request = this.build('BYE', ++this.localSeq);
    } else {
      const event: Array<[string, string]> = this.event !== undefined ? [['Event', this.event]] : [];
      request =
        this.role === 'uac'
          ? this.build('SUBSCRIBE', ++this.localSeq, [...event, ['Expires', '0']])
          : this.build('NOTIFY', ++this.localSeq, [...event, ['Subscription-State', 'terminated;reason=noresource']]);
    }
    this.close();
    return this.host.request(request, this.peer, opts);
  }

  /** Local teardown: forgets the dialog and emits 'closed'. Idempotent; sends nothing. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.host.forget(this);
    const held = this.held;
    this.held = null;
    if (held !== null) for (const [, ctx] of held) if (!ctx.responded) ctx.respond(481);
    try {
      this.emit('closed');
    } catch (err) {
      this.host.logger.error({ err, callId: this.callId }, "dialog 'closed' listener threw");
    }
    this.removeAllListeners();
  }

  /** @internal Holds in-dialog requests until release() (a dialog created before its owner has it). */
  hold(): void {
    if (this.held === null) this.held = [];
  }

  /** @internal Delivers held requests; the owner has had its chance to add listeners. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (held !== null) for (const [request, ctx] of held) this.dispatch(request, ctx);
  }

  /** @internal An in-dialog request from the peer, already in a server transaction. */
  handleRequest(request: SipRequest, ctx: ServerTransactionContext): void {
    const seq = Number.parseInt(request.headers.get('cseq') ?? '', 10);
    // Lenient on order: devices restart CSeq after a reboot; we only track the highest seen.
    if (Number.isFinite(seq) && (this.remoteSeq === undefined || seq > this.remoteSeq)) this.remoteSeq = seq;
    if (request.method !== 'BYE') this.refreshTarget(request);
    if (this.held !== null) {
      this.held.push([request, ctx]);
      return;
    }
    this.dispatch(request, ctx);
  }

  /** @internal The ACK for our 2xx (UAS INVITE dialog). */
  handleAck(request: SipRequest): void {
    if (!this.closedFlag) this.emit('ack', request);
  }

  /** @internal The peer retransmitted its 2xx: our ACK was lost. */
  handleRetransmitted2xx(): void {
    if (this.ackRequest !== null) this.host.sendStateless(this.ackRequest, this.peer);
  }

  /** A re-INVITE's 2xx is ACKed like the first one, and may move the remote target. */
  private afterReinvite(response: SipResponse, seq: number): SipResponse {
    if (response.status < 200 || response.status >= 300 || this.closedFlag) return response;
    const contact = response.headers.get('contact');
    const uri = contact !== undefined ? contactUri(contact) : undefined;
    if (uri !== undefined) this.remoteTarget = uri;
    this.inviteSeq = seq;
    this.ackRequest = this.build('ACK', seq);
    this.host.sendStateless(this.ackRequest, this.peer);
    return response;
  }

  private dispatch(request: SipRequest, ctx: ServerTransactionContext): void {
    const listened = this.listenerCount('request') > 0;
    if (listened) {
      try {
        this.emit('request', request, ctx);
      } catch (err) {
        this.host.logger.error({ err, callId: this.callId, method: request.method }, 'in-dialog request handler threw');
        if (!ctx.responded) ctx.respond(500);
      }
    }
    const method = request.method;
    if (method === 'BYE') {
      if (!ctx.responded) ctx.respond(200);
      this.close();
      return;
    }
    if (!listened && !ctx.responded) ctx.respond(method === 'INVITE' ? 488 : 200);
    if (method === 'NOTIFY' && this.usage === 'subscribe' && subscriptionTerminated(request)) this.close();
  }

  /** Target refresh (RFC 3261 12.2.2): a Contact in a re-INVITE, UPDATE, NOTIFY or SUBSCRIBE. */
  private refreshTarget(request: SipRequest): void {
    const m = request.method;
    if (m !== 'INVITE' && m !== 'UPDATE' && m !== 'NOTIFY' && m !== 'SUBSCRIBE') return;
    const contact = request.headers.get('contact');
    if (contact === undefined) return;
    const uri = contactUri(contact);
    if (uri !== undefined) this.remoteTarget = uri;
  }

  private build(method: string, seq: number, extra?: Array<[string, string]>, body?: Buffer): SipRequest {
    const headers = new Headers();
    headers.append('from', this.localAddress);
    headers.append('to', this.remoteAddress);
    headers.append('call-id', this.callId);
    headers.append('cseq', `${seq} ${method}`);
    for (const route of this.routeSet) headers.append('route', route);
    let ownOverridden = false;
    for (const [name, value] of extra ?? []) {
      if (OWN_HEADERS.has(canonicalHeaderName(name))) ownOverridden = true;
      headers.append(name, value);
    }
    if (!ownOverridden && this.localContact !== undefined) headers.append('contact', this.localContact);
    return { type: 'request', method, uri: this.remoteTarget, headers, body: body ?? EMPTY };
  }
}

/** The URI inside a Contact value (`<sip:x@h:p>;expires=1` or a bare `sip:x@h:p`). */
export function contactUri(contact: string): string | undefined {
  const na = parseNameAddr(contact);
  return na === null || na.uriText === '' ? undefined : na.uriText;
}

function subscriptionTerminated(request: SipRequest): boolean {
  const state = request.headers.get('subscription-state');
  return state !== undefined && state.trim().toLowerCase().startsWith('terminated');
}
