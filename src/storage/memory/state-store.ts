import type { Logger } from '../../logger';
import type { Registration, StateStore } from '../ports';
import { registrationRetentionMs } from '../registration-retention';
import { DeadlineQueue } from './deadline-queue';

export interface MemoryStateStoreOptions {
  logger: Logger;
  /** How often expired ephemeral values, counters, leases and registrations are swept (default 30 s). */
  sweepIntervalMs?: number;
}

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * The in-process state store: the single-node default. Expiry is lazy (an expired entry is never
 * returned) plus a periodic sweep so that entries nobody reads again do not pile up. The sweep
 * timer is unref'd: it never keeps the process alive.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly logger: Logger;
  private readonly sweepIntervalMs: number;
  private sweepTimer: NodeJS.Timeout | null = null;

  private readonly registrations = new Map<string, Registration>();
  private readonly deadlines = new DeadlineQueue();
  private readonly ephemeral = new Map<string, Expiring<string>>();
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly leases = new Map<string, Expiring<string>>();
  private readonly online = new Map<string, boolean>();

  constructor(options: MemoryStateStoreOptions) {
    this.logger = options.logger.child({ component: 'memory-state-store' });
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  }

  async init(): Promise<void> {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), this.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  async putRegistration(registration: Registration): Promise<void> {
    if (registrationRetentionMs(registration, Date.now()) <= 0) {
      this.registrations.delete(registration.deviceId);
      return;
    }
    this.registrations.set(registration.deviceId, { ...registration });
  }

  async getRegistration(deviceId: string): Promise<Registration | null> {
    const registration = this.liveRegistration(deviceId, Date.now());
    return registration ? { ...registration } : null;
  }

  async deleteRegistration(deviceId: string): Promise<void> {
    this.registrations.delete(deviceId);
  }

  async touchRegistration(
    deviceId: string,
    at: number,
    peer?: { transport: 'udp' | 'tcp'; address: string; port: number },
  ): Promise<void> {
    const registration = this.liveRegistration(deviceId, Date.now());
    if (!registration) return;
    registration.lastSeenAt = at;
    if (peer) {
      registration.transport = peer.transport;
      registration.address = peer.address;
      registration.port = peer.port;
    }
  }

  async countRegistrations(): Promise<number> {
    this.sweepRegistrations(Date.now());
    return this.registrations.size;
  }

  async setDeadline(deviceId: string, at: number): Promise<void> {
    this.deadlines.set(deviceId, at);
  }

  async clearDeadline(deviceId: string): Promise<void> {
    this.deadlines.clear(deviceId);
  }

  async takeExpired(now: number, limit: number): Promise<string[]> {
    return this.deadlines.takeExpired(now, limit);
  }

  async swapOnline(deviceId: string, online: boolean): Promise<boolean | null> {
    const previous = this.online.get(deviceId) ?? null;
    this.online.set(deviceId, online);
    return previous;
  }

  async getOnline(deviceId: string): Promise<boolean | null> {
    return this.online.get(deviceId) ?? null;
  }

  async forgetOnline(deviceId: string): Promise<void> {
    this.online.delete(deviceId);
  }

  async putEphemeral(key: string, value: string, ttlMs: number): Promise<void> {
    this.ephemeral.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async getEphemeral(key: string): Promise<string | null> {
    return live(this.ephemeral, key, Date.now())?.value ?? null;
  }

  async deleteEphemeral(key: string): Promise<void> {
    this.ephemeral.delete(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    const counter = live(this.counters, key, now);
    if (counter) return ++counter.value;
    this.counters.set(key, { value: 1, expiresAt: now + ttlMs });
    return 1;
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const lease = live(this.leases, key, now);
    if (lease && lease.value !== owner) return false;
    this.leases.set(key, { value: owner, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    if (this.leases.get(key)?.value === owner) this.leases.delete(key);
  }

  private liveRegistration(deviceId: string, now: number): Registration | null {
    const registration = this.registrations.get(deviceId);
    if (!registration) return null;
    if (registrationRetentionMs(registration, now) > 0) return registration;
    this.registrations.delete(deviceId);
    return null;
  }

  private sweepRegistrations(now: number): void {
    for (const [deviceId, registration] of this.registrations) {
      if (registrationRetentionMs(registration, now) <= 0) this.registrations.delete(deviceId);
    }
  }

  private sweep(now: number): void {
    const before = this.ephemeral.size + this.counters.size + this.leases.size + this.registrations.size;
    for (const map of [this.ephemeral, this.counters, this.leases] as Map<string, Expiring<unknown>>[]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    this.sweepRegistrations(now);
    const removed = before - (this.ephemeral.size + this.counters.size + this.leases.size + this.registrations.size);
    if (removed > 0) this.logger.debug({ removed }, 'expired state swept');
  }
}

/** The entry when it has not expired; an expired one is deleted on the way. */
function live<T>(map: Map<string, Expiring<T>>, key: string, now: number): Expiring<T> | null {
  const entry = map.get(key);
  if (!entry) return null;
  if (entry.expiresAt > now) return entry;
  map.delete(key);
  return null;
}
