import { Router } from '@koa/router';
import { z } from 'zod';
import type { CascadeService } from '../../cascade';
import { readJson } from '../body';
import { defined, gbIdParam } from '../params';

const port = z.number().int().min(1).max(65535);

const upperFields = {
  name: z.string().max(128).nullable(),
  domain: z.string().min(1).max(64),
  host: z.string().min(1).max(255),
  port,
  transport: z.enum(['udp', 'tcp']),
  password: z.string().min(1).max(64).nullable(),
  localId: gbIdParam.nullable(),
  registerExpiresSec: z.number().int().min(2).max(86400),
  keepaliveIntervalSec: z.number().int().min(1).max(3600),
  keepaliveTimeoutCount: z.number().int().min(1).max(100),
  charset: z.enum(['GB2312', 'UTF-8']),
  catalogItemsPerMessage: z.number().int().min(1).max(500),
  idMode: z.enum(['own', 'mapped']),
  recordSource: z.enum(['platform', 'device']),
  enabled: z.boolean(),
};

const upperCreateBody = z
  .object(upperFields)
  .partial()
  .extend({ upperId: gbIdParam, host: upperFields.host, port: upperFields.port })
  .strict();

const upperPatchBody = z.object(upperFields).partial().strict();

/** Channel, organisation node or device ID (civil-code nodes may be shorter than 20 digits). */
const localIdParam = z.string().regex(/^\d{2,20}$/, 'must be a GB/T 28181 code');

const shareChangeBody = z
  .object({
    add: z
      .array(
        z.object({
          id: localIdParam,
          kind: z.enum(['channel', 'organisation', 'device']).optional(),
          deviceId: gbIdParam.optional(),
          mappedId: gbIdParam.nullable().optional(),
        }),
      )
      .max(50000)
      .optional(),
    remove: z.array(localIdParam).max(50000).optional(),
  })
  .strict();

/** /api/v1/uppers: upper platforms we register with, what each may see, and the link state. */
export function upperRoutes(cascade: CascadeService): Router {
  const router = new Router();

  router.get('/uppers', async (ctx) => {
    const items = await cascade.list();
    ctx.body = { items, total: items.length };
  });

  router.post('/uppers', async (ctx) => {
    const body = upperCreateBody.parse(await readJson(ctx));
    ctx.status = 201;
    ctx.body = await cascade.create(defined(body));
  });

  router.get('/uppers/:upperId', async (ctx) => {
    ctx.body = await cascade.get(gbIdParam.parse(ctx.params.upperId));
  });

  router.patch('/uppers/:upperId', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.upperId);
    ctx.body = await cascade.update(id, defined(upperPatchBody.parse(await readJson(ctx))));
  });

  router.delete('/uppers/:upperId', async (ctx) => {
    await cascade.remove(gbIdParam.parse(ctx.params.upperId));
    ctx.status = 204;
  });

  router.get('/uppers/:upperId/status', async (ctx) => {
    ctx.body = cascade.status(gbIdParam.parse(ctx.params.upperId));
  });

  router.get('/uppers/:upperId/shares', async (ctx) => {
    const items = await cascade.shares(gbIdParam.parse(ctx.params.upperId));
    ctx.body = { items, total: items.length };
  });

  router.post('/uppers/:upperId/shares', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.upperId);
    const body = shareChangeBody.parse(await readJson(ctx));
    const items = await cascade.changeShares(id, {
      add: (body.add ?? []).map((s) => defined({ localId: s.id, kind: s.kind, mappedId: s.mappedId, deviceId: s.deviceId })),
      remove: body.remove ?? [],
    });
    ctx.body = { items, total: items.length };
  });

  router.delete('/uppers/:upperId/shares/:localId', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.upperId);
    await cascade.changeShares(id, { remove: [localIdParam.parse(ctx.params.localId)] });
    ctx.status = 204;
  });

  return router;
}
