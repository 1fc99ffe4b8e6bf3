import type { StateStore } from '../../storage/ports';
import { formatDigestChallenge, NonceIssuer, parseDigestHeader, verifyDigest } from '../auth/digest';

export interface AuthGuardOptions {
  realm: string;
  nonceSecret: Buffer;
  nonceTtlMs: number;
  offerQop: boolean;
  failureLimit: number;
  failureWindowMs: number;
  blockMs: number;
}

export type AuthOutcome =
  | { kind: 'ok' }
  /** Answer 401 with this WWW-Authenticate value. */
  | { kind: 'challenge'; header: string; failed: boolean }
  /** Answer 403: too many failures from this source for this device. */
  | { kind: 'blocked' };

/**
 * Digest authentication policy for REGISTER: stateless signed nonces (any node that shares the
 * secret can check them, and a challenge costs no store write), stale=true for expired nonces,
 * and a per-source-and-device failure counter that turns repeated wrong answers into 403s.
 */
export class AuthGuard {
  private readonly nonces: NonceIssuer;

  constructor(
    private readonly state: StateStore,
    private readonly options: AuthGuardOptions,
  ) {
    this.nonces = new NonceIssuer(options.nonceSecret, options.nonceTtlMs);
  }

  challenge(stale = false): string {
    return formatDigestChallenge({
      realm: this.options.realm,
      nonce: this.nonces.issue(),
      algorithm: 'MD5',
      ...(this.options.offerQop ? { qop: 'auth' as const } : {}),
      ...(stale ? { stale: true } : {}),
    });
  }

  private blockKey(source: string, deviceId: string): string {
    return `authblock:${source}|${deviceId}`;
  }

  async isBlocked(source: string, deviceId: string): Promise<boolean> {
    return (await this.state.getEphemeral(this.blockKey(source, deviceId))) !== null;
  }

  /**
   * Checks the Authorization header of a request. `allowStale` accepts an expired but genuine
   * nonce (devices unregister with the nonce of their last registration).
   */
  async check(input: {
    authorization: string | undefined;
    method: string;
    password: string;
    source: string;
    deviceId: string;
    allowStale?: boolean;
  }): Promise<AuthOutcome> {
    if (await this.isBlocked(input.source, input.deviceId)) return { kind: 'blocked' };
    if (!input.authorization) return { kind: 'challenge', header: this.challenge(), failed: false };
    const credentials = parseDigestHeader(input.authorization);
    if (!credentials || credentials.scheme.toLowerCase() !== 'digest') {
      return this.fail(input.source, input.deviceId);
    }
    const nonce = credentials.params.get('nonce') ?? '';
    const nonceState = this.nonces.check(nonce);
    // A nonce we did not sign (e.g. from before a restart with another secret) is not a failure.
    if (nonceState === 'invalid') return { kind: 'challenge', header: this.challenge(), failed: false };
    if (!verifyDigest(credentials.params, input.method, input.password)) {
      return this.fail(input.source, input.deviceId);
    }
    if (nonceState === 'stale' && !input.allowStale) {
      return { kind: 'challenge', header: this.challenge(true), failed: false };
    }
    return { kind: 'ok' };
  }

  private async fail(source: string, deviceId: string): Promise<AuthOutcome> {
    const failures = await this.state.increment(`authfail:${source}|${deviceId}`, this.options.failureWindowMs);
    if (failures >= this.options.failureLimit) {
      await this.state.putEphemeral(this.blockKey(source, deviceId), String(Date.now()), this.options.blockMs);
      return { kind: 'blocked' };
    }
    return { kind: 'challenge', header: this.challenge(), failed: true };
  }
}
