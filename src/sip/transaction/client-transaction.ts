import type { SipPeer, SipRequest, SipResponse } from '../message/types';
import { WheelEntry } from './timer-wheel';
import type { TransactionHost } from './host';
import { SipTimeoutError } from './errors';
import { ackForNon2xx } from './ack-cancel';

/**
 * RFC 3261 17.1 client transactions. One wheel entry carries whichever deadline is nearest:
 * the next retransmission (Timer A / E, UDP only) or the give-up time (Timer B / F), later the
 * wait for stray retransmitted responses (Timer D / K).
 *
 * The give-up time also runs after a provisional response to an INVITE, so a device that
 * answers 100 Trying and then nothing does not hold a caller forever; we CANCEL it then.
 */
type ClientState = 'calling' | 'proceeding' | 'completed' | 'terminated';

export class ClientTransaction extends WheelEntry {
  private state: ClientState = 'calling';
  /** The request as sent (with our Via). Dropped once the transaction completes. */
  private sent: SipRequest | null;
  private resolveFn: ((r: SipResponse) => void) | null = null;
  private rejectFn: ((e: unknown) => void) | null = null;
  private onProvisional: ((r: SipResponse) => void) | undefined;
  private ack: SipRequest | null = null;
  private interval = 0;
  private nextRetransmitAt = Infinity;
  private deadlineAt = 0;
  private graceUsed = false;
  /** Timed out while ringing: the caller is gone, we only wait to ACK the final answer. */
  private abandoned = false;
  readonly method: string;
  readonly isInvite: boolean;

  constructor(
    private readonly host: TransactionHost,
    readonly key: string,
    request: SipRequest,
    readonly peer: SipPeer,
    readonly timeoutMs: number,
    onProvisional: ((r: SipResponse) => void) | undefined,
  ) {
    super();
    this.sent = request;
    this.method = request.method;
    this.isInvite = request.method === 'INVITE';
    this.onProvisional = onProvisional;
  }

  /** The request as sent, while the transaction is pending (for CANCEL). */
  get request(): SipRequest | null {
    return this.sent;
  }

  /** Whether a provisional response arrived and no final one yet. */
  get proceeding(): boolean {
    return this.state === 'proceeding';
  }

  private get reliable(): boolean {
    return this.peer.transport === 'tcp';
  }

  start(): Promise<SipResponse> {
    const promise = new Promise<SipResponse>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    const wheel = this.host.wheel;
    const now = wheel.now();
    this.deadlineAt = now + this.timeoutMs;
    if (!this.reliable) {
      this.interval = this.host.timers.t1;
      this.nextRetransmitAt = now + this.interval;
    }
    wheel.schedule(this, Math.min(this.nextRetransmitAt, this.deadlineAt));
    const sent = this.sent as SipRequest;
    this.host.transmit(sent, this.peer).catch((err: unknown) => this.fail(err));
    return promise;
  }

  onResponse(response: SipResponse): void {
    const status = response.status;
    if (status < 200) {
      if (this.state !== 'calling' && this.state !== 'proceeding') return;
      if (this.state === 'calling') {
        this.state = 'proceeding';
        // INVITE: Timer A stops. Non-INVITE: Timer E continues at T2 (17.1.2.2).
        if (this.isInvite) this.nextRetransmitAt = Infinity;
        else if (!this.reliable) this.interval = this.host.timers.t2;
        this.host.wheel.schedule(this, Math.min(this.nextRetransmitAt, this.deadlineAt));
      }
      const cb = this.onProvisional;
      if (cb !== undefined) {
        try {
          cb(response);
        } catch (err) {
          this.host.logger.error({ err, method: this.method }, 'onProvisional handler threw');
        }
      }
      return;
    }
    if (this.state === 'completed') {
      // A retransmitted non-2xx final: our ACK was lost (17.1.1.2).
      if (this.ack !== null) this.host.post(this.ack, this.peer);
      return;
    }
    if (this.state === 'terminated') return;
    const resolve = this.resolveFn;
    if (this.isInvite && status >= 300 && this.sent !== null) {
      this.ack = ackForNon2xx(this.sent, response);
      this.host.post(this.ack, this.peer);
    }
    if (this.isInvite && status < 300) {
      // The 2xx goes to the TU, which ACKs it and absorbs its retransmissions in the dialog.
      this.terminate();
      // Nobody waits any more (we timed out and CANCELled, but the answer crossed): hang it up.
      if (resolve === null) this.host.unwanted2xx(response, this.peer);
    } else if (this.reliable) {
      this.terminate();
    } else {
      this.complete();
    }
    resolve?.(response);
  }

  onTimer(now: number): void {
    if (this.state === 'completed' || this.state === 'terminated') {
      this.terminate();
      return;
    }
    if (now >= this.deadlineAt) {
      if (this.abandoned) {
        this.terminate();
        return;
      }
      if (!this.graceUsed && now - this.deadlineAt > 5 * this.host.timers.tick) {
        // The event loop stalled past our deadline; timers run before sockets are read, so the
        // answer may already be waiting. Give it one loop turn before giving up.
        this.graceUsed = true;
        this.host.wheel.schedule(this, now);
        return;
      }
      this.timeOut(now);
      return;
    }
    if (now >= this.nextRetransmitAt && this.sent !== null) {
      this.host.post(this.sent, this.peer);
      const t = this.host.timers;
      // Timer A doubles without bound; Timer E is capped at T2 (and is T2 once proceeding).
      this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, t.t2);
      this.nextRetransmitAt = now + this.interval;
    }
    this.host.wheel.schedule(this, Math.min(this.nextRetransmitAt, this.deadlineAt));
  }

  /** Rejects the caller and forgets the transaction (endpoint close). */
  abort(err: Error): void {
    const reject = this.rejectFn;
    this.terminate();
    reject?.(err);
  }

  private timeOut(now: number): void {
    const reject = this.rejectFn;
    const ringing = this.isInvite && this.state === 'proceeding';
    // The endpoint CANCELs a ringing INVITE, which needs the request: report before releasing.
    this.host.clientTimedOut(this);
    this.resolveFn = null;
    this.rejectFn = null;
    this.onProvisional = undefined;
    if (ringing) {
      // The INVITE still ends with a final answer (487 after our CANCEL) that must be ACKed.
      this.abandoned = true;
      this.deadlineAt = now + this.host.timers.timeout;
      this.host.wheel.schedule(this, this.deadlineAt);
    } else {
      this.terminate();
    }
    reject?.(new SipTimeoutError(this.method, this.peer, this.timeoutMs));
  }

  private fail(err: unknown): void {
    if (this.state === 'terminated' || this.state === 'completed') return;
    const reject = this.rejectFn;
    this.terminate();
    reject?.(err);
  }

  /** Timer D / K: absorb retransmitted finals (re-ACKing a non-2xx to an INVITE). */
  private complete(): void {
    this.state = 'completed';
    const t = this.host.timers;
    this.release(false);
    this.host.wheel.scheduleIn(this, this.isInvite ? t.timeout : t.t4);
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.host.wheel.cancel(this);
    this.host.clientTerminated(this);
    this.release(true);
  }

  private release(all: boolean): void {
    this.sent = null;
    this.resolveFn = null;
    this.rejectFn = null;
    this.onProvisional = undefined;
    if (all) this.ack = null;
  }
}
