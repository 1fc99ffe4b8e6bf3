import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import type { AuditLog } from './audit-log';
import { callerOf } from './caller';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every state-changing API request (POST, PUT, PATCH, DELETE) as an audit line once it is
 * answered: who, what (method and path), and the HTTP status. This is the operation log a
 * police platform keeps: a PTZ aux switch that unlocks a door, a reboot, a maintenance window
 * over a past outage (which raises the rent paid), a watchlist change. Door-event ingest by
 * gateways is not an operator action and would flood the log, so it is left out.
 */
export function actionTrail(audit: AuditLog) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (READS.has(ctx.method)) return next();
    let outcome: string;
    try {
      await next();
      outcome = String(ctx.status);
    } catch (err) {
      // Answered by the error middleware after us: name the error, its status is not set yet.
      outcome = errorName(err);
      await recordUnlessIngest(audit, ctx, outcome);
      throw err;
    }
    await recordUnlessIngest(audit, ctx, outcome);
  };
}

async function recordUnlessIngest(audit: AuditLog, ctx: Context, outcome: string): Promise<void> {
  const caller = callerOf(ctx);
  if (caller.role === 'ingest') return;
  await audit.record(caller, `api ${ctx.method}`, ctx.path, outcome);
}

function errorName(err: unknown): string {
  if (err instanceof ZodError) return 'bad_request';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
