import type { StateStore } from '../../storage/ports';
import { SsrcExhaustedError } from './errors';
import { leaseHandle, leaseOwnerId } from './lease';
import type { LeaseHandle } from './lease';
import { RoundRobinClaimer } from './round-robin';
import { makeSsrc, type SsrcKind } from './ssrc';

export interface SsrcAllocatorOptions {
  state: StateStore;
  nodeId: string;
  leaseTtlMs: number;
  /** For tests: the source of the random start. */
  random?: () => number;
}

export interface SsrcLease extends LeaseHandle {
  /** Ten decimal digits, as written in the SDP `y=` line. */
  ssrc: string;
}

/** Stream numbers 0001-9999: 0000 is left out so that no SSRC is ever the value 0. */
const SEQUENCES = 9999;

/**
 * SSRCs as GB/T 28181 defines them: 1 digit (0 live, 1 history), 5 realm digits (digits 4-8 of the
 * SIP domain ID), a 4-digit stream number unique in the realm. Uniqueness across the deployment
 * comes from the lease `ssrc:<ssrc>` in the shared state store.
 */
export class SsrcAllocator {
  private readonly state: StateStore;
  private readonly nodeId: string;
  private readonly leaseTtlMs: number;
  private readonly random: () => number;
  private readonly claimers = new Map<string, RoundRobinClaimer>();

  constructor(options: SsrcAllocatorOptions) {
    if (!(options.leaseTtlMs > 0)) throw new RangeError('leaseTtlMs must be positive');
    this.state = options.state;
    this.nodeId = options.nodeId;
    this.leaseTtlMs = options.leaseTtlMs;
    this.random = options.random ?? Math.random;
  }

  /** Leases an unused SSRC; throws SsrcExhaustedError when all 9,999 of the kind and realm are in use. */
  async acquire(kind: SsrcKind, realmDigits: string, owner: string): Promise<SsrcLease> {
    if (kind !== 'live' && kind !== 'history') throw new RangeError(`unknown SSRC kind ${String(kind)}`);
    // makeSsrc checks the realm digits; slot 0 is stream number 0001, so no SSRC is ever 0.
    const ssrcOf = (slot: number) => makeSsrc(kind, realmDigits, slot + 1);
    const claimer = this.claimerFor(ssrcOf(0).slice(0, 6));
    const leaseOwner = leaseOwnerId(this.nodeId, owner);
    const slot = await claimer.claim((candidate) => this.state.acquireLease(keyOf(ssrcOf(candidate)), leaseOwner, this.leaseTtlMs));
    if (slot === null) throw new SsrcExhaustedError(kind, realmDigits);
    const ssrc = ssrcOf(slot);
    return { ssrc, ...leaseHandle(this.state, keyOf(ssrc), leaseOwner, this.leaseTtlMs) };
  }

  private claimerFor(prefix: string): RoundRobinClaimer {
    let claimer = this.claimers.get(prefix);
    if (!claimer) {
      claimer = new RoundRobinClaimer(SEQUENCES, this.random);
      this.claimers.set(prefix, claimer);
    }
    return claimer;
  }
}

function keyOf(ssrc: string): string {
  return `ssrc:${ssrc}`;
}
