import type { Registration } from './ports';

/**
 * How long a registration outlives its expiresAt before a state store drops it by itself. The
 * liveness deadline normally marks the device offline at expiresAt and the service deletes the
 * registration; this only cleans up after a node that died before doing so.
 */
export const REGISTRATION_GRACE_MS = 60_000;

/** Milliseconds the registration is still kept at `now` (<= 0: drop it). */
export function registrationRetentionMs(registration: Registration, now: number): number {
  return registration.expiresAt + REGISTRATION_GRACE_MS - now;
}
