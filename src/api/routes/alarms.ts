import { Router } from '@koa/router';
import { z } from 'zod';
import type { AlarmService } from '../../alarms/alarm-service';
import { presentAlarm } from '../../alarms/personal-data';
import { defined, gbIdParam, pagingParams, timeParam } from '../params';

const smallInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max))
    .optional();

const alarmQuery = z.object({
  ...pagingParams,
  deviceId: gbIdParam.optional(),
  type: smallInt(1_000_000),
  priority: smallInt(9),
  method: smallInt(99),
  from: timeParam.optional(),
  to: timeParam.optional(),
});

const alarmId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not an alarm ID');

/** /api/v1/alarms: alarms devices reported, newest first (card, person and name values in their texts masked). */
export function alarmRoutes(alarms: AlarmService): Router {
  const router = new Router();

  router.get('/alarms', async (ctx) => {
    const q = alarmQuery.parse(ctx.query);
    const page = await alarms.list(defined({ deviceId: q.deviceId, type: q.type, priority: q.priority, method: q.method, from: q.from, to: q.to, offset: q.offset, limit: q.limit }));
    ctx.body = { ...page, items: page.items.map(presentAlarm), offset: q.offset, limit: q.limit };
  });

  router.get('/alarms/:id', async (ctx) => {
    ctx.body = presentAlarm(await alarms.get(alarmId.parse(ctx.params.id)));
  });

  return router;
}
