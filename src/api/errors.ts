import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function sendError(ctx: Context, status: number, code: string, message: string, details?: unknown): void {
  ctx.status = status;
  const body: ErrorBody = { error: { code, message, ...(details !== undefined ? { details } : {}) } };
  ctx.body = body;
}

/** Maps every failure to the one JSON error shape; unexpected errors are logged and shown as 500 without internals. */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, 404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      else if (ctx.status === 405 && ctx.body === undefined) sendError(ctx, 405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    } catch (err) {
      if (err instanceof AppError) {
        sendError(ctx, err.httpStatus, err.code, err.message);
      } else if (err instanceof ZodError) {
        const details = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        sendError(ctx, 400, 'bad_request', details.map((d) => `${d.path || 'body'}: ${d.message}`).join('; '), details);
      } else if (isHttpError(err)) {
        sendError(ctx, err.status, err.status === 413 ? 'payload_too_large' : 'bad_request', err.message);
      } else {
        logger.error({ err, method: ctx.method, path: ctx.path }, 'API request failed');
        sendError(ctx, 500, 'internal', 'internal error');
      }
    }
  };
}

function isHttpError(err: unknown): err is { status: number; message: string; expose: boolean } {
  return typeof err === 'object' && err !== null && 'status' in err && 'expose' in err && (err as { expose: unknown }).expose === true;
}
