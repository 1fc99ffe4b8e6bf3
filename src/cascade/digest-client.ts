import { randomBytes } from 'node:crypto';
import { computeDigestResponse, formatDigestCredentials, parseDigestHeader } from '../sip/auth/digest';

/**
 * The client side of SIP digest (RFC 2617/7616, MD5 as GB/T 28181 uses it): read the upper's
 * challenge, answer it. With qop=auth (nc counting up per nonce, a fresh cnonce) or without qop
 * (RFC 2069 style). Parsing is total: a challenge we cannot answer gives null.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: string | undefined;
  /** 'auth' when offered (alone or in a list); undefined when the challenge has no qop. */
  qop: 'auth' | undefined;
  opaque: string | undefined;
  stale: boolean;
}

export type ChallengeResult = { ok: true; challenge: DigestChallenge } | { ok: false; error: string };

/** Reads a WWW-Authenticate or Proxy-Authenticate value. */
export function readDigestChallenge(value: string | undefined): ChallengeResult {
  if (value === undefined) return { ok: false, error: 'no challenge header' };
  const parsed = parseDigestHeader(value);
  if (parsed === null) return { ok: false, error: 'unreadable challenge' };
  if (parsed.scheme.toLowerCase() !== 'digest') return { ok: false, error: `scheme ${parsed.scheme} is not Digest` };
  const realm = parsed.params.get('realm');
  const nonce = parsed.params.get('nonce');
  if (realm === undefined || nonce === undefined || nonce === '') return { ok: false, error: 'challenge without realm or nonce' };
  const algorithm = parsed.params.get('algorithm');
  if (algorithm !== undefined && !/^(md5|md5-sess|sha-256|sha-256-sess)$/i.test(algorithm.trim())) {
    return { ok: false, error: `algorithm ${algorithm} is not supported` };
  }
  const qopOffer = parsed.params.get('qop');
  const qops = qopOffer === undefined ? [] : qopOffer.split(',').map((q) => q.trim().toLowerCase());
  // auth-int alone (body hashing) is not something GB platforms offer; we cannot answer it.
  if (qopOffer !== undefined && !qops.includes('auth')) return { ok: false, error: `qop ${qopOffer} is not supported` };
  return {
    ok: true,
    challenge: {
      realm,
      nonce,
      algorithm: algorithm?.trim(),
      qop: qops.includes('auth') ? 'auth' : undefined,
      opaque: parsed.params.get('opaque'),
      stale: (parsed.params.get('stale') ?? '').toLowerCase() === 'true',
    },
  };
}

/** Answers challenges for one identity; counts nc per nonce. */
export class DigestClient {
  private nonce = '';
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** The Authorization (or Proxy-Authorization) value for this request, or null when it cannot be computed. */
  authorize(challenge: DigestChallenge, method: string, uri: string): string | null {
    if (challenge.nonce !== this.nonce) {
      this.nonce = challenge.nonce;
      this.nc = 0;
    }
    const withQop = challenge.qop === 'auth';
    const session = (challenge.algorithm ?? '').toLowerCase().endsWith('-sess');
    const cnonce = withQop || session ? randomBytes(8).toString('hex') : undefined;
    const nc = withQop ? (++this.nc).toString(16).padStart(8, '0') : undefined;
    const response = computeDigestResponse({
      username: this.username,
      realm: challenge.realm,
      password: this.password,
      method,
      uri,
      nonce: challenge.nonce,
      ...(withQop ? { qop: 'auth' } : {}),
      ...(nc !== undefined ? { nc } : {}),
      ...(cnonce !== undefined ? { cnonce } : {}),
      ...(challenge.algorithm !== undefined ? { algorithm: challenge.algorithm } : {}),
    });
    if (response === null) return null;
    return formatDigestCredentials({
      username: this.username,
      realm: challenge.realm,
      nonce: challenge.nonce,
      uri,
      response,
      algorithm: challenge.algorithm ?? 'MD5',
      ...(withQop ? { qop: 'auth' } : {}),
      ...(nc !== undefined ? { nc } : {}),
      ...(cnonce !== undefined ? { cnonce } : {}),
      ...(challenge.opaque !== undefined ? { opaque: challenge.opaque } : {}),
    });
  }
}
