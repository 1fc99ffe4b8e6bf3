import { createHmac } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { createUrlTokenSigner, type UrlTokenSigner } from '../media/access/url-token';
import { sendError } from './errors';

/**
 * Browsers' EventSource cannot send an Authorization header, so a web console could not open
 * the event stream with the API token. An authenticated client asks for a short-lived signed URL
 * (POST /api/v1/events/stream-url) and hands that to EventSource. The token opens only the event
 * stream (the signature covers its path) and only until it expires; a console asks for a new URL
 * when EventSource reports an error.
 */
export const EVENT_STREAM_PATH = '/api/v1/events/stream';
const SIGNED_NAME = 'gbvms event stream';

export function eventStreamTokens(apiToken: string, now: () => number = Date.now): UrlTokenSigner {
  // Derived from the API token: whoever can mint these already holds that token.
  return createUrlTokenSigner(createHmac('sha256', apiToken).update('gbvms event stream URLs').digest('base64url'), now);
}

export function signEventStreamUrl(signer: UrlTokenSigner, ttlSec: number, query: string): { url: string; expiresAt: number } {
  const token = signer.sign(SIGNED_NAME, ttlSec);
  // The token is `<expiry in epoch seconds>.<signature>`.
  const expiresAt = Number(token.slice(0, token.indexOf('.'))) * 1000;
  return { url: `${EVENT_STREAM_PATH}?access_token=${encodeURIComponent(token)}${query ? `&${query}` : ''}`, expiresAt };
}

/**
 * GET /api/v1/events/stream with `access_token` is checked here; every other request goes to
 * `inner` (the bearer or role check). A bad or expired token is a 401 naming the reason.
 */
export function withEventStreamToken(signer: UrlTokenSigner, inner: Middleware): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    const token = ctx.query.access_token;
    if (ctx.method !== 'GET' || ctx.path !== EVENT_STREAM_PATH || token === undefined) {
      await inner(ctx, next);
      return;
    }
    const check = signer.verify(SIGNED_NAME, typeof token === 'string' ? token : undefined);
    if (!check.ok) {
      sendError(ctx, 401, 'unauthorized', `the event stream URL's access_token is ${check.reason === 'expired' ? 'expired: ask for a new URL' : 'not valid'}`);
      return;
    }
    await next();
  };
}
