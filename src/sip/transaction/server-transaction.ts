import type { SipPeer, SipRequest, SipResponse } from '../message/types';
import { createResponse, generateTag, serializeSipMessage } from '../message';
import { WheelEntry } from './timer-wheel';
import type { TransactionHost } from './host';
import type { ResponseExtras, ServerTransactionContext } from './types';
import { ackWaitKey } from './keys';
import { tagOf } from './header-params';

/**
 * RFC 3261 17.2 server transactions, INVITE and non-INVITE, with the RFC 6026 "Accepted" state:
 * a 2xx to an INVITE is retransmitted here (13.3.1.4) until its ACK arrives, so the application
 * only calls respond() once.
 *
 * States: trying -> proceeding -> completed -> (INVITE: confirmed) -> terminated,
 * or for an INVITE 2xx: proceeding -> accepted -> terminated.
 */
type ServerState = 'trying' | 'proceeding' | 'completed' | 'accepted' | 'confirmed' | 'terminated';

/** The part of a UAS dialog a transaction needs: its Contact for the 2xx, and closing on failure. */
export interface ServerDialogLink {
  readonly localContact: string | undefined;
  close(): void;
}

export type AckOutcome = 'absorbed' | 'ack-for-2xx' | 'unexpected';

export class ServerTransaction extends WheelEntry implements ServerTransactionContext {
  private state: ServerState = 'trying';
  /** Dropped once a final response is sent: only the response is needed to absorb retransmissions. */
  private request: SipRequest | null;
  /**
   * Our last response as sent: retransmissions repeat these bytes. Completed UDP transactions live
   * 32 s (Timer J) at thousands per second, so they keep bytes rather than message objects.
   */
  private lastResponse: Buffer | null = null;
  private interval = 0;
  private nextRetransmitAt = 0;
  private endAt = 0;
  private cancelledFlag = false;
  /** Tag of the To header of every response; set by the first response above 100 or by a UAS dialog. */
  toTag: string | undefined;
  dialog: ServerDialogLink | null = null;
  onCancel: (() => void) | undefined = undefined;
  readonly method: string;
  /** Key in the endpoint's map of 2xx answers waiting for their ACK. */
  ackKey: string | null = null;

  constructor(
    private readonly host: TransactionHost,
    readonly key: string,
    request: SipRequest,
    readonly peer: SipPeer,
    readonly isInvite: boolean,
  ) {
    super();
    this.request = request;
    this.method = request.method;
  }

  get responded(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  private get reliable(): boolean {
    return this.peer.transport === 'tcp';
  }

  /** Starts the answer guard; an INVITE gets 100 Trying at once so the client stops retransmitting. */
  start(): void {
    const t = this.host.timers;
    if (this.isInvite) {
      this.respond(100);
      this.host.wheel.scheduleIn(this, t.inviteAnswer);
    } else {
      // By Timer F the client has given up; an answer after that helps nobody.
      this.host.wheel.scheduleIn(this, t.timeout);
    }
  }

  respond(status: number, reason?: string, extra?: ResponseExtras): void {
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      throw new RangeError(`invalid SIP status ${status}`);
    }
    const request = this.request;
    if (request === null || this.responded) {
      this.host.logger.warn({ method: this.method, status, state: this.state }, 'response after the final response ignored');
      return;
    }
    if (status > 100 && this.toTag === undefined) {
      this.toTag = extra?.toTag ?? tagOf(request.headers.get('to')) ?? generateTag();
    }
    const response = createResponse(request, status, reason, {
      headers: extra?.headers,
      body: extra?.body,
      toTag: this.toTag,
    });
    this.decorate(request, response, status);
    const bytes = serializeSipMessage(response);
    this.lastResponse = bytes;
    this.host.postBytes(bytes, this.peer, response);
    if (status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.request = null;
    const t = this.host.timers;
    const wheel = this.host.wheel;
    if (!this.isInvite) {
      this.state = 'completed';
      if (this.reliable) this.terminate();
      else wheel.scheduleIn(this, t.timeout); // Timer J
      return;
    }
    if (status >= 300) {
      this.state = 'completed';
      this.dialog?.close();
      this.dialog = null;
    } else {
      this.state = 'accepted';
      this.host.serverAwaitsAck(this, ackKeyOf(request));
    }
    // Timer G (non-2xx) or the core's 2xx retransmission (13.3.1.4); Timer H / L bounds both.
    const now = wheel.now();
    this.endAt = now + t.timeout;
    this.interval = t.t1;
    this.nextRetransmitAt = this.reliable ? Infinity : now + t.t1;
    wheel.schedule(this, Math.min(this.nextRetransmitAt, this.endAt));
  }

  /** The same request arrived again: repeat our last response (none yet: stay silent). */
  onRetransmission(): void {
    if (this.lastResponse !== null && this.state !== 'terminated') this.host.postBytes(this.lastResponse, this.peer);
  }

  onAck(): AckOutcome {
    if (this.state === 'completed' && this.isInvite) {
      this.state = 'confirmed';
      if (this.reliable) this.terminate();
      else this.host.wheel.scheduleIn(this, this.host.timers.t4); // Timer I
      return 'absorbed';
    }
    if (this.state === 'accepted') {
      this.terminate();
      return 'ack-for-2xx';
    }
    return this.state === 'confirmed' ? 'absorbed' : 'unexpected';
  }

  /** A CANCEL matched this INVITE: 487 unless a final response was already sent. */
  cancel(): void {
    if (this.responded || this.state === 'terminated') return;
    this.cancelledFlag = true;
    this.respond(487);
    const cb = this.onCancel;
    this.onCancel = undefined;
    if (cb !== undefined) {
      try {
        cb();
      } catch (err) {
        this.host.logger.error({ err, method: this.method }, 'onCancel handler threw');
      }
    }
  }

  onTimer(now: number): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (this.isInvite) {
          this.host.logger.warn({ method: this.method }, 'no final answer from the application in time; sending 408');
          this.respond(408);
        } else {
          this.host.logger.debug({ method: this.method }, 'request never answered; transaction dropped');
          this.terminate();
        }
        return;
      case 'completed':
      case 'accepted':
        if (now >= this.endAt) {
          if (this.isInvite) this.host.logger.warn({ state: this.state }, 'no ACK for the final response to an INVITE');
          this.terminate();
          return;
        }
        if (now >= this.nextRetransmitAt && this.lastResponse !== null) {
          this.host.postBytes(this.lastResponse, this.peer);
          this.interval = Math.min(this.interval * 2, this.host.timers.t2);
          this.nextRetransmitAt = now + this.interval;
        }
        this.host.wheel.schedule(this, Math.min(this.nextRetransmitAt, this.endAt));
        return;
      default:
        this.terminate();
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.host.wheel.cancel(this);
    this.host.serverTerminated(this);
    this.request = null;
    this.lastResponse = null;
    this.dialog = null;
    this.onCancel = undefined;
  }

  /** Endpoint close: stop without telling anyone. */
  dispose(): void {
    this.state = 'terminated';
    this.host.wheel.cancel(this);
    this.request = null;
    this.lastResponse = null;
    this.dialog = null;
    this.onCancel = undefined;
  }

  private decorate(request: SipRequest, response: SipResponse, status: number): void {
    const h = response.headers;
    const ua = this.host.userAgent;
    if (ua !== undefined && !h.has('user-agent')) h.append('user-agent', ua);
    const createsDialog = status > 100 && status < 300 && (request.method === 'INVITE' || request.method === 'SUBSCRIBE');
    if (!createsDialog) return;
    // RFC 3261 12.1.1: the dialog-forming response echoes Record-Route and names our Contact.
    if (!h.has('record-route')) {
      for (const e of request.headers.entries()) if (e.name === 'record-route') h.append('record-route', e.value);
    }
    const contact = this.dialog?.localContact;
    if (contact !== undefined && !h.has('contact')) h.append('contact', contact);
  }
}

function ackKeyOf(request: SipRequest): string {
  const cseq = request.headers.get('cseq') ?? '';
  const seq = Number.parseInt(cseq, 10);
  return ackWaitKey(request.headers.get('call-id') ?? '', Number.isFinite(seq) ? seq : -1, tagOf(request.headers.get('from')));
}
