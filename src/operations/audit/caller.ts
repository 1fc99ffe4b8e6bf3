import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { sendError } from '../../api/errors';
import type { Caller, CallerRole } from './types';

export interface CallerTokens {
  apiToken: string;
  /** operations.privilegedToken: the investigator role. */
  privilegedToken?: string | undefined;
  /** operations.doors.ingestToken: vendor gateways, POST /api/v1/door-events only. */
  ingestToken?: string | undefined;
}

const INGEST_PATH = '/api/v1/door-events';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The /api/v1 token check with roles (replaces the plain bearer check when operations are on):
 * every token is compared in constant time, and the caller is left in ctx.state.caller.
 */
export function callerAuth(tokens: CallerTokens) {
  const known: Array<{ role: CallerRole; digest: Buffer }> = [{ role: 'operator', digest: digest(tokens.apiToken) }];
  if (tokens.privilegedToken) known.push({ role: 'privileged', digest: digest(tokens.privilegedToken) });
  if (tokens.ingestToken) known.push({ role: 'ingest', digest: digest(tokens.ingestToken) });
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
    const given = match ? digest((match[1] ?? '').trim()) : null;
    // Compare with every token (no early exit), so timing does not tell which one nearly matched.
    let role: CallerRole | null = null;
    for (const k of known) if (given && timingSafeEqual(given, k.digest) && role === null) role = k.role;
    if (role === null) {
      ctx.set('WWW-Authenticate', 'Bearer realm="gbvms"');
      sendError(ctx, 401, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
      return;
    }
    if (role === 'ingest' && !(ctx.method === 'POST' && ctx.path === INGEST_PATH)) {
      sendError(ctx, 403, 'forbidden', 'the door ingest token is only accepted for POST /api/v1/door-events');
      return;
    }
    ctx.state.caller = callerFrom(role, ctx.get('x-gbvms-role'), ctx.get('x-gbvms-user'));
    await next();
  };
}

function callerFrom(role: CallerRole, roleHeader: string, userHeader: string): Caller {
  const user = userHeader.replace(/[^\p{L}\p{N} ._@-]/gu, '').trim().slice(0, 64);
  return {
    role,
    actor: user || role,
    // The header alone never unmasks: only together with the privileged token.
    unmasked: role === 'privileged' && roleHeader.trim().toLowerCase() === 'investigator',
  };
}

/** The caller of a request (an operator when the plain bearer check ran instead of callerAuth). */
export function callerOf(ctx: Context): Caller {
  const caller = (ctx.state as { caller?: Caller }).caller;
  return caller ?? { role: 'operator', actor: 'operator', unmasked: false };
}
