import type { Logger } from '../../logger';
import type { SsrcPolicy } from './types';

/** The packet is the stream's. */
export const SSRC_ACCEPT = 0;
/** The packet is not the stream's: drop it. */
export const SSRC_REJECT = 1;
/** The packet is the stream's, and a different SSRC than before: sequence tracking starts over. */
export const SSRC_SWITCHED = 2;

export type SsrcVerdict = typeof SSRC_ACCEPT | typeof SSRC_REJECT | typeof SSRC_SWITCHED;

const NONE = -1;

/**
 * Decides which SSRC on a port is the stream. Under 'first' the first SSRC seen is locked, but the
 * expected SSRC (offer, then the 200 OK answer) takes the lock over as soon as a packet of it
 * arrives: a stale sender that got in first loses, while a device whose answer names an SSRC it
 * never sends (y=0000000000, the offered value) keeps streaming under the SSRC it does send.
 * A locked SSRC that has been silent for `lockTimeoutMs` gives way to the next one (a camera that
 * restarted with a new SSRC, or a stray packet that happened to come first).
 */
export class SsrcGate {
  private locked = NONE;
  private lastSeen = 0;
  private expected: number;
  private warnedFirst = false;
  private warnedReject = false;

  constructor(
    private readonly policy: SsrcPolicy,
    expected: number | undefined,
    private readonly lockTimeoutMs: number,
    private readonly log: Logger,
  ) {
    this.expected = expected === undefined ? NONE : expected >>> 0;
  }

  /** The SSRC currently taken as the stream's, if any packet has been accepted. */
  get ssrc(): number | undefined {
    return this.locked === NONE ? undefined : this.locked;
  }

  get expectedSsrc(): number | undefined {
    return this.expected === NONE ? undefined : this.expected;
  }

  setExpected(ssrc: number): void {
    this.expected = ssrc >>> 0;
  }

  /** Forgets the locked SSRC: the next packet starts the stream afresh (a new TCP connection). */
  reset(): void {
    this.locked = NONE;
  }

  /** `now` in ms, any monotonic-enough clock. */
  admit(ssrc: number, now: number): SsrcVerdict {
    if (ssrc === this.locked) {
      this.lastSeen = now;
      return SSRC_ACCEPT;
    }
    switch (this.policy) {
      case 'any':
        return this.take(ssrc, now);
      case 'expected':
        if (ssrc === this.expected) return this.take(ssrc, now);
        return this.reject(ssrc);
      default:
        if (this.locked === NONE) {
          if (this.expected !== NONE && ssrc !== this.expected && !this.warnedFirst) {
            this.warnedFirst = true;
            this.log.warn({ ssrc, expectedSsrc: this.expected }, 'the device sends another SSRC than the SDP names; accepting the first one seen');
          }
          return this.take(ssrc, now);
        }
        if (ssrc === this.expected) {
          this.log.info({ from: this.locked, to: ssrc }, 'packets of the expected SSRC arrived; switching the stream to them');
          return this.take(ssrc, now);
        }
        if (now - this.lastSeen >= this.lockTimeoutMs) {
          this.log.info({ from: this.locked, to: ssrc, silentMs: now - this.lastSeen }, 'the stream\'s SSRC went silent; switching to the one that is sending');
          return this.take(ssrc, now);
        }
        return this.reject(ssrc);
    }
  }

  private take(ssrc: number, now: number): SsrcVerdict {
    const first = this.locked === NONE;
    this.locked = ssrc;
    this.lastSeen = now;
    return first ? SSRC_ACCEPT : SSRC_SWITCHED;
  }

  private reject(ssrc: number): SsrcVerdict {
    if (!this.warnedReject) {
      this.warnedReject = true;
      this.log.warn({ ssrc, streamSsrc: this.ssrc, expectedSsrc: this.expectedSsrc, policy: this.policy }, 'dropping RTP of another SSRC (logged once)');
    }
    return SSRC_REJECT;
  }
}
