import { Router } from '@koa/router';
import { z } from 'zod';
import { isTopicPattern } from '../../events/topic-filter';
import type { Webhooks } from '../../events/webhooks';
import { readJson } from '../body';

const topics = z
  .array(z.string().refine(isTopicPattern, "a topic is exact ('alarm.received') or ends in '*' ('alarm.*')"))
  .max(50)
  .default([]);

const createBody = z
  .object({
    url: z
      .string()
      .max(2000)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL'),
    topics,
    secret: z.string().min(16, 'at least 16 characters').max(256).optional(),
  })
  .strict();

const webhookId = z.string().regex(/^wh_[0-9a-f]{24}$/, 'not a webhook ID');

/** /api/v1/webhooks: signed JSON POSTs of platform events, with retries and a delivery log. */
export function webhookRoutes(webhooks: Webhooks): Router {
  const router = new Router();

  router.post('/webhooks', async (ctx) => {
    const body = createBody.parse(await readJson(ctx));
    ctx.status = 201;
    ctx.body = await webhooks.create(body);
  });

  router.get('/webhooks', async (ctx) => {
    const items = await webhooks.list();
    ctx.body = { total: items.length, items };
  });

  router.get('/webhooks/:id', async (ctx) => {
    ctx.body = await webhooks.get(webhookId.parse(ctx.params.id));
  });

  router.delete('/webhooks/:id', async (ctx) => {
    await webhooks.delete(webhookId.parse(ctx.params.id));
    ctx.status = 204;
  });

  return router;
}
