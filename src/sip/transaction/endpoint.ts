import type { Logger } from '../../logger';
import type { SipMessage, SipPeer, SipRequest, SipResponse } from '../message/types';
import type { InboundSipMessage, SipTransport } from '../transport/types';
import { createResponse, generateBranch, generateTag, parseCSeq, parseVia } from '../message';
import { TimerWheel } from './timer-wheel';
import { resolveTimers, type SipTimers } from './timers';
import type { TransactionHost } from './host';
import type { InviteOptions, RequestOptions, ServerTransactionContext, SipEndpointOptions } from './types';
import { ClientTransaction } from './client-transaction';
import { ServerTransaction } from './server-transaction';
import type { Dialog, DialogHost } from './dialog';
import { orphanDialog, uacDialogFromNotify, uacDialogFromResponse, uasContact, uasDialogFromRequest } from './dialog-factory';
import { SipEndpointClosedError } from './errors';
import { ackWaitKey, clientTransactionKey, dialogKey, earlySubscribeKey, serverTransactionKey, type ServerMatchFields } from './keys';
import { tagOf, withTag } from './header-params';
import { ourVia, stampTopVia } from './via';
import { cancelFor } from './ack-cancel';

export interface DialogResult {
  response: SipResponse;
  /** Present when the response was a 2xx. */
  dialog?: Dialog;
}

/** A SUBSCRIBE waiting for its answer; NOTIFYs may arrive first and create the dialog. */
interface EarlySubscribe {
  sent: SipRequest;
  peer: SipPeer;
  dialog: Dialog | null;
}

/** Requests that only make sense inside a dialog: with an unknown To tag they get 481. */
const IN_DIALOG_ONLY = new Set(['BYE', 'INFO', 'NOTIFY', 'INVITE', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'REFER']);

/**
 * The RFC 3261 transaction and dialog layer over one SipTransport. The transport's onMessage
 * is wired to handleInbound by the caller. Every structure is a Map keyed by branch or dialog id
 * and every timer lives on one shared wheel, so the cost per message does not grow with load.
 */
export class SipEndpoint implements TransactionHost, DialogHost {
  readonly timers: SipTimers;
  readonly wheel: TimerWheel;
  readonly logger: Logger;
  readonly userAgent: string | undefined;
  private readonly transport: SipTransport;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly acksAwaited = new Map<string, ServerTransaction>();
  private readonly dialogs = new Map<string, Dialog>();
  private readonly earlySubscribes = new Map<string, EarlySubscribe>();
  private closing: Promise<void> | null = null;

  constructor(private readonly options: SipEndpointOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.userAgent = options.userAgent;
    this.timers = resolveTimers(options.timers);
    this.wheel = new TimerWheel(this.timers.tick, (err) => this.logger.error({ err }, 'SIP timer handler threw'));
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Live counts, for metrics and tests. */
  get stats(): { clientTransactions: number; serverTransactions: number; dialogs: number } {
    return { clientTransactions: this.clients.size, serverTransactions: this.servers.size, dialogs: this.dialogs.size };
  }

  /** Entry point for everything the transport receives. Never throws. */
  handleInbound(inbound: InboundSipMessage): void {
    if (this.closing !== null) return;
    const { message, peer } = inbound;
    try {
      this.options.metrics?.onMessage('in', message);
      if (message.type === 'request') this.handleRequest(message, peer);
      else this.handleResponse(message, peer);
    } catch (err) {
      this.logger.error({ err, peer }, 'failed to handle an inbound SIP message');
    }
  }

  /**
   * Sends a request in a new client transaction; resolves with the first final response.
   * Use invite() for INVITE (a 2xx needs an ACK and a dialog) and Dialog.ack() for ACK.
   */
  request(request: SipRequest, peer: SipPeer, opts: RequestOptions = {}): Promise<SipResponse> {
    if (request.method === 'ACK') return Promise.reject(new TypeError('an ACK is not a transaction: use Dialog.ack()'));
    return this.startClient(request, peer, opts).promise;
  }

  /** INVITE: a 2xx creates a dialog, ACKed here unless opts.manualAck. */
  async invite(request: SipRequest, peer: SipPeer, opts: InviteOptions = {}): Promise<DialogResult> {
    const { sent, promise } = this.startClient(request, peer, opts);
    const response = await promise;
    if (response.status >= 300) return { response };
    const dialog = uacDialogFromResponse(this, sent, response, peer, 'invite');
    this.register(dialog);
    if (opts.manualAck !== true) dialog.ack();
    return { response, dialog };
  }

  /** SUBSCRIBE: a 2xx (or a NOTIFY arriving before it) creates the subscription dialog. */
  async subscribe(request: SipRequest, peer: SipPeer, opts: RequestOptions = {}): Promise<DialogResult> {
    const { sent, promise } = this.startClient(request, peer, opts);
    const callId = sent.headers.get('call-id') ?? '';
    const earlyKey = earlySubscribeKey(callId, tagOf(sent.headers.get('from')) ?? '');
    const early: EarlySubscribe = { sent, peer, dialog: null };
    this.earlySubscribes.set(earlyKey, early);
    let response: SipResponse;
    try {
      response = await promise;
    } catch (err) {
      early.dialog?.close();
      throw err;
    } finally {
      this.earlySubscribes.delete(earlyKey);
    }
    if (response.status >= 300) {
      early.dialog?.close();
      return { response };
    }
    const remoteTag = tagOf(response.headers.get('to')) ?? '';
    if (early.dialog !== null && early.dialog.remoteTag === remoteTag && !early.dialog.closed) {
      const dialog = early.dialog;
      // Held NOTIFYs go out once the caller has attached its listeners (its continuation runs first).
      setImmediate(() => dialog.release());
      return { response, dialog };
    }
    early.dialog?.close();
    const dialog = uacDialogFromResponse(this, sent, response, peer, 'subscribe');
    this.register(dialog);
    return { response, dialog };
  }

  /**
   * UAS dialog for an incoming INVITE or SUBSCRIBE, before answering it: the answer then carries
   * `toTag` and our Contact. A non-2xx final answer closes the dialog again.
   */
  createServerDialog(request: SipRequest, ctx: ServerTransactionContext, toTag?: string): Dialog {
    if (!(ctx instanceof ServerTransaction)) throw new TypeError('ctx is not a server transaction of this endpoint');
    const tag = toTag ?? ctx.toTag ?? tagOf(request.headers.get('to')) ?? generateTag();
    ctx.toTag = tag;
    const contact = uasContact(this.transport.localAddress(ctx.peer.transport), ctx.peer.transport, request);
    const dialog = uasDialogFromRequest(this, request, ctx.peer, tag, contact);
    this.register(dialog);
    ctx.dialog = dialog;
    return dialog;
  }

  /** Cancels every timer, rejects pending requests, closes dialogs. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = this.shutdown();
    return this.closing;
  }

  // --- TransactionHost / DialogHost -----------------------------------------------------------

  transmit(message: SipMessage, peer: SipPeer): Promise<void> {
    this.options.metrics?.onMessage('out', message);
    return this.transport.send(message, peer);
  }

  post(message: SipMessage, peer: SipPeer): void {
    if (this.closing !== null) return;
    this.transmit(message, peer).catch((err: unknown) => {
      this.logger.warn({ err, peer, what: describe(message) }, 'SIP send failed');
    });
  }

  postBytes(bytes: Buffer, peer: SipPeer, message?: SipMessage): void {
    if (this.closing !== null) return;
    if (message !== undefined) this.options.metrics?.onMessage('out', message);
    this.transport.sendBytes(bytes, peer).catch((err: unknown) => {
      this.logger.warn({ err, peer, what: message ? describe(message) : 'retransmission' }, 'SIP send failed');
    });
  }

  sendStateless(request: SipRequest, peer: SipPeer): void {
    if (!request.headers.has('via')) this.prepareOutgoing(request, peer, generateBranch());
    this.post(request, peer);
  }

  clientTerminated(tx: ClientTransaction): void {
    if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
  }

  clientTimedOut(tx: ClientTransaction): void {
    this.options.metrics?.onTimeout(tx.method);
    const invite = tx.request;
    if (tx.isInvite && tx.proceeding && invite !== null) {
      // It rang but never answered: stop it ringing (RFC 3261 9.1).
      const branch = parseVia(invite.headers.get('via') ?? '')?.params.get('branch');
      if (typeof branch === 'string') {
        this.startClient(cancelFor(invite), tx.peer, {}, branch).promise.catch((err: unknown) => {
          this.logger.debug({ err }, 'CANCEL after INVITE timeout failed');
        });
      }
    }
  }

  serverTerminated(tx: ServerTransaction): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
    if (tx.ackKey !== null && this.acksAwaited.get(tx.ackKey) === tx) this.acksAwaited.delete(tx.ackKey);
  }

  serverAwaitsAck(tx: ServerTransaction, key: string): void {
    tx.ackKey = key;
    this.acksAwaited.set(key, tx);
  }

  forget(dialog: Dialog): void {
    if (this.dialogs.get(dialog.id) === dialog) this.dialogs.delete(dialog.id);
  }

  // --- internals ------------------------------------------------------------------------------

  private startClient(
    request: SipRequest,
    peer: SipPeer,
    opts: RequestOptions,
    branch?: string,
  ): { sent: SipRequest; promise: Promise<SipResponse> } {
    const sent: SipRequest = { type: 'request', method: request.method, uri: request.uri, headers: request.headers.clone(), body: request.body };
    if (this.closing !== null) return { sent, promise: Promise.reject(new SipEndpointClosedError(request.method)) };
    const b = branch ?? generateBranch();
    // A CANCEL arrives with its INVITE's Via (same branch) already on it.
    this.prepareOutgoing(sent, peer, branch !== undefined && sent.headers.has('via') ? null : b);
    const from = sent.headers.get('from');
    if (from !== undefined && tagOf(from) === undefined && request.method !== 'CANCEL') sent.headers.set('from', withTag(from, generateTag()));
    const tx = new ClientTransaction(this, clientTransactionKey(b, request.method), sent, peer, opts.timeoutMs ?? this.timers.timeout, opts.onProvisional);
    this.clients.set(tx.key, tx);
    return { sent, promise: tx.start() };
  }

  /** Our Via (unless `branch` is null), Max-Forwards and User-Agent. */
  private prepareOutgoing(request: SipRequest, peer: SipPeer, branch: string | null): void {
    const h = request.headers;
    if (branch !== null) h.prepend('via', ourVia(this.transport.localAddress(peer.transport), peer.transport, branch));
    if (!h.has('max-forwards')) h.set('max-forwards', '70');
    if (this.userAgent !== undefined && !h.has('user-agent')) h.set('user-agent', this.userAgent);
  }

  private handleRequest(request: SipRequest, peer: SipPeer): void {
    const via = stampTopVia(request.headers, peer);
    const callId = request.headers.get('call-id');
    const cseq = parseCSeq(request.headers.get('cseq') ?? '');
    if (via === null || callId === undefined || cseq === null) {
      this.logger.debug({ peer, method: request.method }, 'request without usable Via/Call-ID/CSeq');
      if (via !== null && request.method !== 'ACK') this.post(createResponse(request, 400, 'Bad Request'), peer);
      return;
    }
    const fromTag = tagOf(request.headers.get('from'));
    const source = `${peer.address}:${peer.port}`;
    const fields: ServerMatchFields = { via, method: request.method, callId, cseq: cseq.seq, fromTag, source };
    const key = serverTransactionKey(fields);
    if (request.method === 'ACK') {
      this.handleAck(request, key, fields);
      return;
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      existing.onRetransmission();
      return;
    }
    const tx = new ServerTransaction(this, key, request, peer, request.method === 'INVITE');
    this.servers.set(key, tx);
    tx.start();
    if (request.method === 'CANCEL') {
      this.handleCancel(tx, fields);
      return;
    }
    const toTag = tagOf(request.headers.get('to'));
    if (toTag !== undefined) this.handleInDialog(request, tx, callId, toTag, fromTag ?? '');
    else this.deliver(request, tx);
  }

  private deliver(request: SipRequest, tx: ServerTransaction): void {
    try {
      this.options.onRequest(request, tx);
    } catch (err) {
      this.logger.error({ err, method: request.method }, 'onRequest handler threw');
      if (!tx.responded) tx.respond(500);
    }
  }

  private handleInDialog(request: SipRequest, tx: ServerTransaction, callId: string, toTag: string, fromTag: string): void {
    const dialog = this.dialogs.get(dialogKey(callId, toTag, fromTag));
    if (dialog !== undefined) {
      dialog.handleRequest(request, tx);
      return;
    }
    if (request.method === 'NOTIFY') {
      const early = this.earlySubscribes.get(earlySubscribeKey(callId, toTag));
      if (early !== undefined && early.dialog === null) {
        const created = uacDialogFromNotify(this, early.sent, request, early.peer);
        created.hold();
        early.dialog = created;
        this.register(created);
        created.handleRequest(request, tx);
        return;
      }
    }
    // Field devices put To tags on out-of-dialog MESSAGE/REGISTER/OPTIONS: those are served anyway.
    if (IN_DIALOG_ONLY.has(request.method)) tx.respond(481);
    else this.deliver(request, tx);
  }

  private handleAck(request: SipRequest, key: string, fields: ServerMatchFields): void {
    const tx = this.servers.get(key);
    if (tx !== undefined) {
      if (tx.onAck() !== 'ack-for-2xx') return;
    } else {
      this.acksAwaited.get(ackWaitKey(fields.callId, fields.cseq, fields.fromTag))?.onAck();
    }
    const toTag = tagOf(request.headers.get('to'));
    if (toTag === undefined) return;
    this.dialogs.get(dialogKey(fields.callId, toTag, fields.fromTag ?? ''))?.handleAck(request);
  }

  private handleCancel(cancel: ServerTransaction, fields: ServerMatchFields): void {
    const invite = this.servers.get(serverTransactionKey(fields, 'INVITE'));
    if (invite === undefined) {
      cancel.respond(481);
      return;
    }
    cancel.respond(200);
    invite.cancel();
  }

  private handleResponse(response: SipResponse, peer: SipPeer): void {
    const top = response.headers.get('via');
    const branch = top !== undefined ? parseVia(top)?.params.get('branch') : undefined;
    const cseq = parseCSeq(response.headers.get('cseq') ?? '');
    if (typeof branch === 'string' && cseq !== null) {
      const tx = this.clients.get(clientTransactionKey(branch, cseq.method));
      if (tx !== undefined) {
        tx.onResponse(response);
        return;
      }
    }
    if (cseq?.method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.handle2xxWithoutTransaction(response, peer);
      return;
    }
    this.stray(response, peer);
  }

  /** A retransmitted 2xx re-sends our ACK; a 2xx for no dialog (late, after a timeout) is ACKed and hung up. */
  private handle2xxWithoutTransaction(response: SipResponse, peer: SipPeer): void {
    const callId = response.headers.get('call-id') ?? '';
    const localTag = tagOf(response.headers.get('from')) ?? '';
    const remoteTag = tagOf(response.headers.get('to'));
    if (remoteTag === undefined) {
      this.stray(response, peer);
      return;
    }
    const dialog = this.dialogs.get(dialogKey(callId, localTag, remoteTag));
    if (dialog !== undefined) {
      dialog.handleRetransmitted2xx();
      return;
    }
    this.stray(response, peer);
    this.unwanted2xx(response, peer);
  }

  unwanted2xx(response: SipResponse, peer: SipPeer): void {
    const callId = response.headers.get('call-id') ?? '';
    this.logger.info({ callId, peer }, '2xx for an INVITE we no longer want: ACK and BYE');
    const orphan = orphanDialog(this, response, peer);
    orphan.ack();
    orphan.bye().catch((err: unknown) => this.logger.debug({ err, callId }, 'BYE for an unwanted 2xx failed'));
  }

  private stray(response: SipResponse, peer: SipPeer): void {
    const cb = this.options.onStrayResponse;
    if (cb === undefined) {
      this.logger.debug({ peer, status: response.status, cseq: response.headers.get('cseq') }, 'stray response dropped');
      return;
    }
    try {
      cb(response, peer);
    } catch (err) {
      this.logger.error({ err }, 'onStrayResponse handler threw');
    }
  }

  private register(dialog: Dialog): void {
    const existing = this.dialogs.get(dialog.id);
    if (existing !== undefined && existing !== dialog) {
      this.logger.warn({ callId: dialog.callId }, 'dialog id reused; the older dialog is closed');
      existing.close();
    }
    this.dialogs.set(dialog.id, dialog);
  }

  private async shutdown(): Promise<void> {
    for (const tx of [...this.clients.values()]) tx.abort(new SipEndpointClosedError(tx.method));
    this.clients.clear();
    for (const tx of this.servers.values()) tx.dispose();
    for (const tx of this.acksAwaited.values()) tx.dispose();
    this.servers.clear();
    this.acksAwaited.clear();
    for (const early of this.earlySubscribes.values()) early.dialog?.close();
    this.earlySubscribes.clear();
    for (const dialog of [...this.dialogs.values()]) dialog.close();
    this.dialogs.clear();
    this.wheel.close();
    if (this.options.ownsTransport === true) await this.transport.close();
  }
}

export function createSipEndpoint(options: SipEndpointOptions): SipEndpoint {
  return new SipEndpoint(options);
}

function describe(message: SipMessage): string {
  return message.type === 'request' ? message.method : `${message.status} ${message.headers.get('cseq') ?? ''}`;
}
