import { Router } from '@koa/router';
import { z } from 'zod';
import type { MaintenanceService } from '../../operations/maintenance/maintenance-service';
import { readJson } from '../body';
import { pagingParams, timeParam } from '../params';

const time = z.union([z.number().int().nonnegative(), timeParam]);

const createBody = z
  .object({
    scope: z.enum(['device', 'building']),
    targetId: z.string().min(1).max(64),
    from: time,
    to: time,
    reason: z.string().min(1).max(256),
  })
  .strict();

const patchBody = createBody.partial().strict();

const listQuery = z.object({
  ...pagingParams,
  scope: z.enum(['device', 'building']).optional(),
  targetId: z.string().min(1).max(64).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});

const windowId = z.string().uuid('not a maintenance window ID');

/** /api/v1/maintenance-windows: declared work on a device or a building, left out of online-rate accounting. */
export function maintenanceRoutes(service: MaintenanceService): Router {
  const router = new Router();

  router.get('/maintenance-windows', async (ctx) => {
    const q = listQuery.parse(ctx.query);
    const page = await service.list(q);
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.post('/maintenance-windows', async (ctx) => {
    ctx.status = 201;
    ctx.body = await service.create(createBody.parse(await readJson(ctx)));
  });

  router.get('/maintenance-windows/:id', async (ctx) => {
    ctx.body = await service.get(windowId.parse(ctx.params.id));
  });

  router.patch('/maintenance-windows/:id', async (ctx) => {
    const id = windowId.parse(ctx.params.id);
    const patch = patchBody.parse(await readJson(ctx));
    ctx.body = await service.update(id, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
  });

  router.delete('/maintenance-windows/:id', async (ctx) => {
    await service.delete(windowId.parse(ctx.params.id));
    ctx.status = 204;
  });

  return router;
}
