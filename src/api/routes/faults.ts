import { Router } from '@koa/router';
import { z } from 'zod';
import type { FaultService } from '../../operations/faults/fault-service';
import { callerOf } from '../../operations/audit/caller';
import { readJson } from '../body';
import { pagingParams, timeParam } from '../params';

const ticketId = z.string().min(1).max(64);
const faultQuery = z.object({
  ...pagingParams,
  state: z.enum(['open', 'acknowledged', 'resolved']).optional(),
  buildingId: z.string().min(1).max(64).optional(),
  breached: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});
const byText = z.string().trim().min(1).max(128);
const acknowledgeBody = z.object({ by: byText.optional() }).strict();
const resolveBody = z.object({ by: byText.optional(), note: z.string().trim().min(1).max(2000) }).strict();
const fibreBody = z.object({ noSpareFibre: z.boolean(), note: z.string().max(500).nullable().default(null) }).strict();

/** /api/v1/faults: fault tickets; /api/v1/fault-fibre: the no-spare-fibre flags of lines and buildings. */
export function faultRoutes(faults: FaultService): Router {
  const router = new Router();

  router.get('/faults', async (ctx) => {
    const q = faultQuery.parse(ctx.query);
    const page = await faults.list({
      offset: q.offset,
      limit: q.limit,
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.buildingId !== undefined ? { buildingId: q.buildingId } : {}),
      ...(q.breached !== undefined ? { breached: q.breached } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    });
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.get('/faults/:id', async (ctx) => {
    ctx.body = await faults.get(ticketId.parse(ctx.params.id));
  });

  router.post('/faults/:id/acknowledge', async (ctx) => {
    const id = ticketId.parse(ctx.params.id);
    const body = acknowledgeBody.parse(await readJson(ctx));
    ctx.body = await faults.acknowledge(id, body.by ?? callerOf(ctx).actor);
  });

  router.post('/faults/:id/resolve', async (ctx) => {
    const id = ticketId.parse(ctx.params.id);
    const body = resolveBody.parse(await readJson(ctx));
    ctx.body = await faults.resolve(id, body.by ?? callerOf(ctx).actor, body.note);
  });

  router.get('/fault-fibre', async (ctx) => {
    const items = await faults.listFibre();
    ctx.body = { total: items.length, items };
  });

  router.put('/fault-fibre/:scope/:id', async (ctx) => {
    const scope = z.enum(['line', 'building']).parse(ctx.params.scope);
    const id = z.string().min(1).max(64).parse(ctx.params.id);
    const body = fibreBody.parse(await readJson(ctx));
    ctx.body = await faults.putFibre({ scope, id, noSpareFibre: body.noSpareFibre, note: body.note });
  });

  return router;
}
