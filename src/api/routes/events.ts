import { Router } from '@koa/router';
import { z } from 'zod';
import type { AlarmService } from '../../alarms/alarm-service';
import type { PositionService } from '../../alarms/position-service';
import type { DeviceSubscriptions } from '../../alarms/subscriptions';
import { AppError } from '../../errors';
import type { EventHub } from '../../events/event-hub';
import { readLastEventId, serveSse } from '../../events/sse';
import { parseTopicFilter } from '../../events/topic-filter';
import type { Webhooks } from '../../events/webhooks';
import type { Logger } from '../../logger';
import type { UrlTokenSigner } from '../../media/access/url-token';
import { readJson } from '../body';
import { signEventStreamUrl } from '../event-stream-token';
import { alarmRoutes } from './alarms';
import { positionRoutes } from './positions';
import { subscriptionRoutes } from './subscriptions';
import { webhookRoutes } from './webhooks';

/** What the platform-event routes need: the hub and webhooks, and the device alarm side. */
export interface EventRouteDeps {
  hub: EventHub;
  webhooks: Webhooks;
  alarms: AlarmService;
  positions: PositionService;
  subscriptions: DeviceSubscriptions;
  heartbeatMs: number;
  logger: Logger;
}

const streamQuery = z.object({
  topics: z.string().max(2000).optional(),
  lastEventId: z.string().max(32).optional(),
});

const streamUrlBody = z
  .object({
    /** How long the URL opens the stream (default 300 s). */
    ttlSec: z.number().int().min(10).max(3600).optional(),
    topics: z.string().max(2000).optional(),
  })
  .strict();

const recentQuery = z.object({
  topics: z.string().max(2000).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .optional(),
});

function topicsOf(text: string | undefined) {
  const filter = parseTopicFilter(text);
  if (filter === null) throw new AppError('bad_request', "topics: comma-separated topics, each exact ('alarm.received') or ending in '*' ('alarm.*')");
  return filter;
}

/** /api/v1/events (SSE stream and recent events), webhooks, alarms, positions and device subscriptions. */
export function eventRoutes(deps: EventRouteDeps, streamTokens: UrlTokenSigner): Router {
  const router = new Router();

  // For EventSource, which cannot send the Authorization header (see event-stream-token.ts).
  router.post('/events/stream-url', async (ctx) => {
    const body = streamUrlBody.parse((await readJson(ctx)) ?? {});
    if (body.topics !== undefined) topicsOf(body.topics);
    const query = body.topics !== undefined ? `topics=${encodeURIComponent(body.topics)}` : '';
    ctx.body = signEventStreamUrl(streamTokens, body.ttlSec ?? 300, query);
  });

  router.get('/events/stream', (ctx) => {
    const q = streamQuery.parse(ctx.query);
    const filter = topicsOf(q.topics);
    if (deps.hub.closed) throw new AppError('unavailable', 'the server is stopping');
    // The stream is written on the raw response; koa must not answer it too.
    ctx.status = 200;
    ctx.respond = false;
    serveSse(deps.hub, filter, ctx.req, ctx.res, {
      heartbeatMs: deps.heartbeatMs,
      lastEventId: readLastEventId(ctx.get('last-event-id') || q.lastEventId),
      logger: deps.logger,
    });
  });

  router.get('/events', (ctx) => {
    const q = recentQuery.parse(ctx.query);
    const items = deps.hub.recent(topicsOf(q.topics), q.limit ?? 100);
    ctx.body = { total: items.length, items };
  });

  router.use(webhookRoutes(deps.webhooks).routes());
  router.use(alarmRoutes(deps.alarms).routes());
  router.use(positionRoutes(deps.positions).routes());
  router.use(subscriptionRoutes(deps.subscriptions).routes());
  return router;
}
