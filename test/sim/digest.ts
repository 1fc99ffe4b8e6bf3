/**
 * The device side of SIP digest authentication (RFC 2617 with qop=auth, RFC 2069 without),
 * written independently of src/sip/auth so that the simulator checks the platform rather than
 * agreeing with it.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm?: string;
  /** qop options offered by the server, lower-case ("auth", "auth-int"). */
  qop: string[];
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Parses `Digest realm="..", nonce="..", qop="auth,auth-int"` (quoted or bare values). Undefined if not digest. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const m = /^\s*digest\s+/i.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  const rest = value.slice(m[0].length);
  for (let p = re.exec(rest); p; p = re.exec(rest)) {
    const key = (p[1] ?? '').toLowerCase();
    params.set(key, p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? ''));
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const qop = (params.get('qop') ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== '');
  const challenge: DigestChallenge = { realm, nonce, qop };
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined) challenge.algorithm = algorithm;
  return challenge;
}

export interface CredentialsInput {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Nonce count for qop=auth (1 for the first use of a nonce). */
  nc: number;
  /** Answer without qop even if offered (RFC 2069 style, old firmware). */
  noQop: boolean;
  cnonce?: string;
}

/** Value of the Authorization header answering `challenge`. */
export function buildAuthorization(input: CredentialsInput): string {
  const { challenge, username, password, method, uri } = input;
  const ha1 = md5(`${username}:${challenge.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const useQop = !input.noQop && challenge.qop.includes('auth');
  const parts = [
    `username="${username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${uri}"`,
  ];
  if (useQop) {
    const nc = input.nc.toString(16).padStart(8, '0');
    const cnonce = input.cnonce ?? randomBytes(8).toString('hex');
    const response = md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    parts.push(`response="${response}"`, `cnonce="${cnonce}"`, 'qop=auth', `nc=${nc}`);
  } else {
    parts.push(`response="${md5(`${ha1}:${challenge.nonce}:${ha2}`)}"`);
  }
  parts.push('algorithm=MD5');
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}
