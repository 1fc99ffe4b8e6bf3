import { Router } from '@koa/router';
import { z } from 'zod';
import type { PositionService } from '../../alarms/position-service';
import { AppError } from '../../errors';
import { gbIdParam, timeParam } from '../params';

const DAY_MS = 24 * 3600 * 1000;

const positionQuery = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(10000))
    .optional(),
});

/** /api/v1/devices/{deviceId}/positions: the track of a mobile device (MobilePosition notifications). */
export function positionRoutes(positions: PositionService): Router {
  const router = new Router();

  router.get('/devices/:deviceId/positions', async (ctx) => {
    const deviceId = gbIdParam.parse(ctx.params.deviceId);
    const q = positionQuery.parse(ctx.query);
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    if (from > to) throw new AppError('bad_request', 'from must not be after to');
    const limit = q.limit ?? 1000;
    const items = await positions.list({ deviceId, from, to, limit });
    ctx.body = { deviceId, from, to, total: items.length, items };
  });

  return router;
}
