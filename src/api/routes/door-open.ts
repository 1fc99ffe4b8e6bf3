import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { callerOf } from '../../operations/audit/caller';
import type { DoorOpener } from '../../operations/doors/door-opener';
import { readJson } from '../body';
import { gbIdParam } from '../params';

const openBody = z
  .object({
    /** Who asks (audit); default the caller (X-Gbvms-User or the role). */
    by: z.string().trim().min(1).max(128).optional(),
    doorId: gbIdParam.nullable().optional(),
    door: z.number().int().min(1).max(255).optional(),
  })
  .strict();

/** Remote door opening: POST /api/v1/buildings/{id}/door/open and /api/v1/devices/{id}/door/open. */
export function doorOpenRoutes(opener: DoorOpener): Router {
  const router = new Router();
  const caller = (ctx: Context, by: string | undefined) => {
    const c = callerOf(ctx);
    return by === undefined ? c : { ...c, actor: by };
  };

  router.post('/buildings/:buildingId/door/open', async (ctx) => {
    const buildingId = z.string().min(1).max(64).parse(ctx.params.buildingId);
    const body = openBody.parse(await readJson(ctx));
    ctx.body = await opener.open({ buildingId, doorId: body.doorId ?? null, ...(body.door !== undefined ? { door: body.door } : {}) }, caller(ctx, body.by));
  });

  router.post('/devices/:deviceId/door/open', async (ctx) => {
    const deviceId = gbIdParam.parse(ctx.params.deviceId);
    const body = openBody.parse(await readJson(ctx));
    ctx.body = await opener.open({ deviceId, doorId: body.doorId ?? null, ...(body.door !== undefined ? { door: body.door } : {}) }, caller(ctx, body.by));
  });

  return router;
}
