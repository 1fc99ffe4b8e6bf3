import { randomUUID } from 'node:crypto';
import type { StateStore } from '../../storage/ports';
import { LeaseLostError } from './errors';

export interface LeaseHandle {
  /** Gives the key back; idempotent, and harmless after the lease expired and moved on. */
  release(): Promise<void>;
  /** Extends the lease by the TTL; throws LeaseLostError when it expired and another owner took it. */
  renew(): Promise<void>;
}

/**
 * The lease owner written to the store. acquireLease is re-entrant per owner string, so each
 * allocation gets its own (two sessions of one caller must not share a port or an SSRC).
 */
export function leaseOwnerId(nodeId: string, owner: string): string {
  return `${nodeId}/${owner}/${randomUUID()}`;
}

export function leaseHandle(state: StateStore, key: string, leaseOwner: string, ttlMs: number): LeaseHandle {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await state.releaseLease(key, leaseOwner);
    },
    async renew() {
      if (released || !(await state.acquireLease(key, leaseOwner, ttlMs))) throw new LeaseLostError(key);
    },
  };
}
