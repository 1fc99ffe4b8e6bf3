/** RFC 3261 timer values (section 17 and Table 4), resolved from the endpoint options. */
export interface SipTimerOptions {
  /** RTT estimate; retransmission intervals start here. Default 500 ms. */
  t1Ms?: number;
  /** Cap of the doubling retransmission interval for non-INVITE requests and responses. Default 4 s. */
  t2Ms?: number;
  /** How long the network may still deliver a message. Default 5 s. */
  t4Ms?: number;
  /** Timer B/F (client gives up), H/J/L (server waits for ACK / absorbs retransmissions). Default 64*T1. */
  timeoutMs?: number;
  /** How long an INVITE server transaction waits for the application's final answer before sending 408. Default 180 s (like Timer C). */
  inviteAnswerMs?: number;
}

export interface SipTimers {
  t1: number;
  t2: number;
  t4: number;
  timeout: number;
  inviteAnswer: number;
  /** Granularity of the timer wheel. */
  tick: number;
}

export function resolveTimers(options: SipTimerOptions = {}): SipTimers {
  const t1 = positive(options.t1Ms, 500);
  const t2 = Math.max(t1, positive(options.t2Ms, 4000));
  const t4 = positive(options.t4Ms, 5000);
  const timeout = positive(options.timeoutMs, 64 * t1);
  const inviteAnswer = positive(options.inviteAnswerMs, 180_000);
  // Ten ticks per T1 at most, and never coarser than 10 ms.
  const tick = Math.max(1, Math.min(10, Math.floor(t1 / 10)));
  return { t1, t2, t4, timeout, inviteAnswer, tick };
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
