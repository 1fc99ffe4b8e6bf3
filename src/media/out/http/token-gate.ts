import type { UrlTokenSigner } from '../../access/url-token';
import type { HttpFailure } from './replies';

/**
 * The `?token=` check on a playback URL. Missing or forged tokens are 401 (no valid credential);
 * an expired one is 403 (a real credential that no longer grants access), so a player can tell
 * "ask for a new URL" from "this URL was never good".
 */
export function checkToken(tokens: UrlTokenSigner | null, stream: string, token: string | null): HttpFailure | null {
  if (tokens === null) return null;
  const check = tokens.verify(stream, token ?? undefined);
  if (check.ok) return null;
  switch (check.reason) {
    case 'missing':
      return { status: 401, code: 'token_missing', message: 'this URL needs a ?token= parameter' };
    case 'expired':
      return { status: 403, code: 'token_expired', message: 'the token has expired; ask for a new playback URL' };
    default:
      return { status: 401, code: 'token_invalid', message: 'the token is not valid for this stream' };
  }
}
