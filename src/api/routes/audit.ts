import { Router } from '@koa/router';
import { z } from 'zod';
import type { AuditStore } from '../../operations/audit/types';
import { pagingParams, timeParam } from '../params';

const auditQuery = z.object({
  ...pagingParams,
  action: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});

/** /api/v1/audit: unmasked reads of personal data and remote door openings, newest first. */
export function auditRoutes(audit: AuditStore): Router {
  const router = new Router();
  router.get('/audit', async (ctx) => {
    const q = auditQuery.parse(ctx.query);
    const page = await audit.list({
      offset: q.offset,
      limit: q.limit,
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    });
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });
  return router;
}
