import { hash, timingSafeEqual } from 'node:crypto';
import { randomUint32 } from '../message/random';

/**
 * Stateless signed nonces: base64url(timestamp ‖ salt ‖ SHA-256(secret ‖ timestamp ‖ salt)[0..16]).
 * Any node holding the secret can check a nonce, and issuing one writes nothing to a store —
 * a register storm costs a hash per challenge, not a Redis round trip.
 *
 * The MAC is a keyed prefix hash rather than HMAC: the signed part always has the same length,
 * so SHA-256's length extension gives a forger nothing, and one-shot `hash()` costs less than half
 * of `createHmac()` (an object per call); each registration issues one nonce and checks one.
 */

const TIME_BYTES = 8;
const SALT_BYTES = 4;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + SALT_BYTES + MAC_BYTES;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{38}$/;
/** Nonces stamped this far in the future still count: nodes' clocks differ a little. */
const CLOCK_SKEW_MS = 30_000;

export type NonceState = 'valid' | 'stale' | 'invalid';

export class NonceIssuer {
  /** secret ‖ timestamp ‖ salt: the secret stays in front, the signed part is copied in. */
  private readonly keyed: Buffer;

  constructor(
    secret: Buffer,
    private readonly ttlMs: number,
  ) {
    if (secret.length < 16) throw new RangeError('nonce secret must be at least 16 bytes');
    if (!(ttlMs > 0)) throw new RangeError('nonce ttl must be positive');
    this.keyed = Buffer.alloc(secret.length + TIME_BYTES + SALT_BYTES);
    secret.copy(this.keyed, 0);
  }

  private mac(signed: Buffer): Buffer {
    signed.copy(this.keyed, this.keyed.length - signed.length);
    return hash('sha256', this.keyed, 'buffer').subarray(0, MAC_BYTES);
  }

  issue(now: number = Date.now()): string {
    const raw = Buffer.alloc(NONCE_BYTES);
    raw.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    raw.writeUInt32BE(randomUint32(), TIME_BYTES);
    this.mac(raw.subarray(0, TIME_BYTES + SALT_BYTES)).copy(raw, TIME_BYTES + SALT_BYTES);
    return raw.toString('base64url');
  }

  /** 'stale': ours but older than the TTL (answer 401 with stale=TRUE); 'invalid': not ours. */
  check(nonce: string, now: number = Date.now()): NonceState {
    if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) return 'invalid';
    const raw = Buffer.from(nonce, 'base64url');
    // Re-encoding rejects spellings that differ only in the unused low bits of the last character.
    if (raw.length !== NONCE_BYTES || raw.toString('base64url') !== nonce) return 'invalid';
    const expected = this.mac(raw.subarray(0, TIME_BYTES + SALT_BYTES));
    if (!timingSafeEqual(expected, raw.subarray(TIME_BYTES + SALT_BYTES))) return 'invalid';
    const issuedAt = Number(raw.readBigUInt64BE(0));
    if (issuedAt > now + CLOCK_SKEW_MS) return 'invalid';
    return now - issuedAt > this.ttlMs ? 'stale' : 'valid';
  }
}
