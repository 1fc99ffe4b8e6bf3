import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { sendError } from './errors';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Requires `Authorization: Bearer <token>`; compares in constant time. */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest((match[1] ?? '').trim()), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="gbvms"');
      sendError(ctx, 401, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
      return;
    }
    await next();
  };
}
