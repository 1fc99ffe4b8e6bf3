import { hash as oneShotHash, timingSafeEqual } from 'node:crypto';

/**
 * SIP digest authentication as GB/T 28181 uses it (RFC 2617 / RFC 7616 with MD5): with
 * qop=auth, or without qop (RFC 2069 style), which is what many devices and the standard's
 * examples do. MD5-sess is accepted; SHA-256 (RFC 7616) too, though no GB device we know uses it.
 */

export {
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestHeader,
  MAX_DIGEST_HEADER_LENGTH,
  type DigestHeader,
  type DigestChallengeOptions,
  type DigestCredentialsOptions,
} from './digest-header';
export { NonceIssuer, type NonceState } from './nonce';

export interface DigestInput {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** 'auth' or absent; auth-int (body hashing) is not supported. */
  qop?: string;
  nc?: string;
  cnonce?: string;
  /** MD5 (default), MD5-sess, SHA-256, SHA-256-sess; case-insensitive. */
  algorithm?: string;
}

type HashName = 'md5' | 'sha256';

function algorithmOf(name: string | undefined): { hash: HashName; session: boolean } | null {
  switch ((name ?? 'MD5').trim().toUpperCase()) {
    case 'MD5':
      return { hash: 'md5', session: false };
    case 'MD5-SESS':
      return { hash: 'md5', session: true };
    case 'SHA-256':
      return { hash: 'sha256', session: false };
    case 'SHA-256-SESS':
      return { hash: 'sha256', session: true };
    default:
      return null;
  }
}

// One-shot hashing avoids a Hash object per call: three per authenticated REGISTER.
function h(hash: HashName, text: string): string {
  return oneShotHash(hash, text, 'hex');
}

/**
 * The `response` value for these credentials (lower-case hex), or null when the algorithm or
 * qop is one we do not implement, or qop=auth lacks nc/cnonce.
 */
export function computeDigestResponse(input: DigestInput): string | null {
  const alg = algorithmOf(input.algorithm);
  if (alg === null) return null;
  const qop = input.qop?.trim().toLowerCase();
  if (qop !== undefined && qop !== '' && qop !== 'auth') return null;
  const withQop = qop === 'auth';
  if ((withQop || alg.session) && (input.cnonce === undefined || input.cnonce === '')) return null;
  if (withQop && (input.nc === undefined || input.nc === '')) return null;
  let ha1 = h(alg.hash, `${input.username}:${input.realm}:${input.password}`);
  if (alg.session) ha1 = h(alg.hash, `${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 = h(alg.hash, `${input.method}:${input.uri}`);
  return withQop
    ? h(alg.hash, `${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:auth:${ha2}`)
    : h(alg.hash, `${ha1}:${input.nonce}:${ha2}`);
}

export interface VerifyDigestOptions {
  /** When set, the credentials must name this realm. */
  realm?: string;
}

/**
 * Checks parsed Authorization parameters (from parseDigestHeader) against the password, in
 * constant time over the response. The nonce's freshness is the NonceIssuer's business.
 */
export function verifyDigest(
  params: ReadonlyMap<string, string>,
  method: string,
  password: string,
  options: VerifyDigestOptions = {},
): boolean {
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return false;
  }
  if (options.realm !== undefined && options.realm !== realm) return false;
  const input: DigestInput = { username, realm, password, method, uri, nonce };
  const qop = params.get('qop');
  const nc = params.get('nc');
  const cnonce = params.get('cnonce');
  const algorithm = params.get('algorithm');
  if (qop !== undefined) input.qop = qop;
  if (nc !== undefined) input.nc = nc;
  if (cnonce !== undefined) input.cnonce = cnonce;
  if (algorithm !== undefined) input.algorithm = algorithm;
  const expected = computeDigestResponse(input);
  if (expected === null) return false;
  const given = Buffer.from(response.trim().toLowerCase(), 'utf8');
  const want = Buffer.from(expected, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}
