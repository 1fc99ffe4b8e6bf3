import { Router } from '@koa/router';
import { z } from 'zod';
import { SUBSCRIPTION_KINDS, type DeviceSubscriptions, type SubscriptionKind } from '../../alarms/subscriptions';
import { AppError } from '../../errors';
import { readJson } from '../body';
import { defined, gbIdParam } from '../params';

const kind = z.enum(SUBSCRIPTION_KINDS as [SubscriptionKind, ...SubscriptionKind[]]);

const createBody = z
  .object({
    kind,
    expiresSec: z.number().int().min(10).max(86400).optional(),
    intervalSec: z.number().int().min(1).max(3600).optional(),
  })
  .strict();

/** /api/v1/devices/{deviceId}/subscriptions: alarm, catalog and mobile-position SUBSCRIBEs to a device. */
export function subscriptionRoutes(subscriptions: DeviceSubscriptions): Router {
  const router = new Router();

  router.post('/devices/:deviceId/subscriptions', async (ctx) => {
    const deviceId = gbIdParam.parse(ctx.params.deviceId);
    const body = createBody.parse(await readJson(ctx));
    const existed = subscriptions.get(deviceId, body.kind) !== null;
    const info = await subscriptions.subscribe(deviceId, body.kind, defined({ expiresSec: body.expiresSec, intervalSec: body.intervalSec }));
    ctx.status = existed ? 200 : 201;
    ctx.body = info;
  });

  router.get('/devices/:deviceId/subscriptions', (ctx) => {
    const items = subscriptions.list(gbIdParam.parse(ctx.params.deviceId));
    ctx.body = { total: items.length, items };
  });

  router.delete('/devices/:deviceId/subscriptions/:kind', async (ctx) => {
    const deviceId = gbIdParam.parse(ctx.params.deviceId);
    const k = kind.parse(ctx.params.kind);
    if (!(await subscriptions.unsubscribe(deviceId, k))) throw new AppError('not_found', `device ${deviceId} has no ${k} subscription`);
    ctx.status = 204;
  });

  return router;
}
