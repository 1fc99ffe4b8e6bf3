/**
 * Client transactions of the simulator: send, retransmit on UDP (T1 doubling, capped at T2,
 * a bounded number of times), match responses by the top Via branch, give up with 408.
 */
import type { SipMessage } from './sip';
import type { SimTimers, TransactionOutcome } from './types';

export interface ResolvedTimers {
  t1Ms: number;
  t2Ms: number;
  maxTransmissions: number;
  timeoutMs: number;
}

export function resolveTimers(timers: SimTimers | undefined): ResolvedTimers {
  const t1Ms = timers?.t1Ms ?? 500;
  const t2Ms = timers?.t2Ms ?? 4000;
  const maxTransmissions = Math.max(1, timers?.maxTransmissions ?? 5);
  let total = 0;
  let interval = t1Ms;
  for (let i = 0; i < maxTransmissions; i++) {
    total += interval;
    interval = Math.min(interval * 2, t2Ms);
  }
  return { t1Ms, t2Ms, maxTransmissions, timeoutMs: timers?.timeoutMs ?? total };
}

export interface TransactionResult extends TransactionOutcome {
  response?: SipMessage;
}

/** Sends bytes to the server; calls back with an error when the transport refused them. */
export type SendBytes = (bytes: Buffer, done: (err?: Error) => void) => void;

interface Pending {
  method: string;
  bytes: Buffer;
  startedAt: number;
  transmissions: number;
  interval: number;
  retransmitTimer?: NodeJS.Timeout;
  timeoutTimer: NodeJS.Timeout;
  onMessage?: (message: SipMessage, raw: Buffer) => void;
  resolve: (result: TransactionResult) => void;
}

export class ClientTransactions {
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(
    private readonly send: SendBytes,
    private readonly reliable: boolean,
    private readonly timers: ResolvedTimers,
    private readonly observer?: (outcome: TransactionOutcome) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Runs one transaction. `branch` must be the branch written in the request's top Via.
   * `onMessage` sees every response matched to it (provisional and final).
   */
  request(
    method: string,
    branch: string,
    bytes: Buffer,
    onMessage?: (message: SipMessage, raw: Buffer) => void,
  ): Promise<TransactionResult> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve({ method, status: 0, timedOut: false, latencyMs: 0, transmissions: 0 });
        return;
      }
      const entry: Pending = {
        method,
        bytes,
        startedAt: performance.now(),
        transmissions: 0,
        interval: this.timers.t1Ms,
        timeoutTimer: setTimeout(() => this.finish(branch, 408, true), this.timers.timeoutMs),
        resolve,
      };
      if (onMessage) entry.onMessage = onMessage;
      this.pending.set(branch, entry);
      this.transmit(branch, entry);
    });
  }

  private transmit(branch: string, entry: Pending): void {
    entry.transmissions++;
    this.send(entry.bytes, (err) => {
      if (err) this.finish(branch, 0, false);
    });
    if (this.reliable || entry.transmissions >= this.timers.maxTransmissions) return;
    entry.retransmitTimer = setTimeout(() => {
      if (this.pending.get(branch) !== entry) return;
      entry.interval = Math.min(entry.interval * 2, this.timers.t2Ms);
      this.transmit(branch, entry);
    }, entry.interval);
  }

  /** Delivers a response; false when no transaction owns it (late or stray). */
  onResponse(message: SipMessage, raw: Buffer, branch: string | undefined): boolean {
    if (message.type !== 'response' || branch === undefined) return false;
    const entry = this.pending.get(branch);
    if (!entry) return false;
    entry.onMessage?.(message, raw);
    if (message.status >= 200) this.finish(branch, message.status, false, message);
    return true;
  }

  private finish(branch: string, status: number, timedOut: boolean, response?: SipMessage): void {
    const entry = this.pending.get(branch);
    if (!entry) return;
    this.pending.delete(branch);
    clearTimeout(entry.timeoutTimer);
    if (entry.retransmitTimer) clearTimeout(entry.retransmitTimer);
    const outcome: TransactionResult = {
      method: entry.method,
      status,
      timedOut,
      latencyMs: performance.now() - entry.startedAt,
      transmissions: entry.transmissions,
    };
    this.observer?.(outcome);
    if (response) outcome.response = response;
    entry.resolve(outcome);
  }

  /** Ends every pending transaction with status 0 (transport closed). */
  close(): void {
    this.closed = true;
    for (const branch of [...this.pending.keys()]) this.finish(branch, 0, false);
  }
}
