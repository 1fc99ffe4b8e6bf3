/** Where the registration with one upper stands; what the API, the metric and the 'cascade.link' event show. */
export type LinkState = 'disabled' | 'registering' | 'registered' | 'failing' | 'stopped';

export const LINK_STATES: readonly LinkState[] = ['disabled', 'registering', 'registered', 'failing', 'stopped'];

export interface LinkStatus {
  upperId: string;
  state: LinkState;
  /** Why it is failing (or why it last failed): 'timeout', 'auth-rejected: 403 Forbidden', 'keepalive-timeout'... */
  reason: string | null;
  /** When the link entered this state. */
  since: number;
  registeredAt: number | null;
  /** When the current registration runs out (as the upper granted it). */
  expiresAt: number | null;
  lastKeepaliveAt: number | null;
  /** Keepalives in a row without a 2xx. */
  keepaliveFailures: number;
  /** Failed registration attempts in a row (drives the backoff). */
  failedAttempts: number;
  /** When the next registration attempt runs (failing links). */
  nextAttemptAt: number | null;
}
