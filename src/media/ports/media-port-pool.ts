import type { StateStore } from '../../storage/ports';
import { checkPortBindable } from './bind-check';
import { MediaPortsExhaustedError } from './errors';
import { leaseHandle, leaseOwnerId } from './lease';
import type { LeaseHandle } from './lease';
import { RoundRobinClaimer } from './round-robin';

export interface MediaPortPoolOptions {
  state: StateStore;
  nodeId: string;
  /** Address the RTP receivers bind (ports are leased per host: two hosts may use the same number). */
  host: string;
  /** Inclusive; only even ports are handed out (RTP on even, RTCP on the odd one above). */
  range: { min: number; max: number };
  leaseTtlMs: number;
  /** For tests: the source of the random start. */
  random?: () => number;
}

export interface MediaPortLease extends LeaseHandle {
  port: number;
}

/**
 * The one place RTP receive ports come from. A port is handed out only when its lease
 * `media-port:<host>:<port>` is won in the state store (so nodes sharing a host and a Redis never
 * collide) and a probe shows UDP and TCP can bind it (so ports other programs hold are skipped).
 */
export class MediaPortPool {
  private readonly state: StateStore;
  private readonly nodeId: string;
  private readonly host: string;
  private readonly range: { min: number; max: number };
  private readonly leaseTtlMs: number;
  private readonly firstPort: number;
  private readonly claimer: RoundRobinClaimer;

  constructor(options: MediaPortPoolOptions) {
    const { min, max } = options.range;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`media port range ${min}-${max} is not within 1-65535`);
    }
    this.firstPort = min % 2 === 0 ? min : min + 1;
    const count = this.firstPort > max ? 0 : Math.floor((max - this.firstPort) / 2) + 1;
    if (count === 0) throw new RangeError(`media port range ${min}-${max} holds no even port`);
    if (!(options.leaseTtlMs > 0)) throw new RangeError('leaseTtlMs must be positive');
    this.state = options.state;
    this.nodeId = options.nodeId;
    this.host = options.host;
    this.range = { min, max };
    this.leaseTtlMs = options.leaseTtlMs;
    this.claimer = new RoundRobinClaimer(count, options.random);
  }

  /** Leases a free even port; throws MediaPortsExhaustedError when none is left. */
  async acquire(owner: string): Promise<MediaPortLease> {
    const leaseOwner = leaseOwnerId(this.nodeId, owner);
    let lastRefusal = '';
    const slot = await this.claimer.claim(async (candidate) => {
      const key = this.keyOf(this.portOf(candidate));
      if (!(await this.state.acquireLease(key, leaseOwner, this.leaseTtlMs))) return false;
      const bindable = await checkPortBindable(this.host, this.portOf(candidate));
      if (bindable.ok) return true;
      lastRefusal = `port ${this.portOf(candidate)}: ${bindable.code}`;
      await this.state.releaseLease(key, leaseOwner);
      return false;
    });
    if (slot === null) throw new MediaPortsExhaustedError(this.host, this.range, lastRefusal ? `last bind failure ${lastRefusal}` : '');
    const port = this.portOf(slot);
    return { port, ...leaseHandle(this.state, this.keyOf(port), leaseOwner, this.leaseTtlMs) };
  }

  private portOf(slot: number): number {
    return this.firstPort + slot * 2;
  }

  private keyOf(port: number): string {
    return `media-port:${this.host}:${port}`;
  }
}
