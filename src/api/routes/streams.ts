import { Router, type RouterContext } from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { PlaybackUrls } from '../../media/access/playback-urls';
import type { LiveStreams, LiveStreamView } from '../../sip/play/live-streams';
import { readJson } from '../body';
import { gbIdParam } from '../params';

const liveStartBody = z
  .object({ transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional() })
  .strict();

const streamPatchBody = z.object({ keepRunning: z.boolean() }).strict();

export interface StreamRouteDeps {
  live: LiveStreams;
  /** Playback URLs of a stream, for a request that came to `requestHost`. */
  urls(streamId: string, requestHost: string): PlaybackUrls;
}

/** /api/v1/channels/{id}/live and /api/v1/streams. */
export function streamRoutes(deps: StreamRouteDeps): Router {
  const router = new Router();
  const withUrls = (ctx: RouterContext, stream: LiveStreamView) => ({ ...stream, urls: deps.urls(stream.streamId, ctx.request.hostname) });

  router.post('/channels/:channelId/live', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const body = liveStartBody.parse(await readJson(ctx));
    ctx.body = withUrls(ctx, await deps.live.play(channelId, body.transport !== undefined ? { transport: body.transport } : {}));
  });

  router.get('/channels/:channelId/live', async (ctx) => {
    ctx.body = withUrls(ctx, await deps.live.get(gbIdParam.parse(ctx.params.channelId)));
  });

  router.delete('/channels/:channelId/live', async (ctx) => {
    await stopOr404(deps.live, gbIdParam.parse(ctx.params.channelId));
    ctx.status = 204;
  });

  router.get('/streams', async (ctx) => {
    const items = await deps.live.list();
    ctx.body = { total: items.length, items: items.map((s) => withUrls(ctx, s)) };
  });

  router.get('/streams/events', (ctx) => {
    ctx.body = { items: deps.live.recentEvents() };
  });

  router.get('/streams/:streamId', async (ctx) => {
    ctx.body = withUrls(ctx, await deps.live.get(gbIdParam.parse(ctx.params.streamId)));
  });

  router.patch('/streams/:streamId', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.streamId);
    const body = streamPatchBody.parse(await readJson(ctx));
    ctx.body = withUrls(ctx, deps.live.setKeepRunning(id, body.keepRunning));
  });

  router.delete('/streams/:streamId', async (ctx) => {
    await stopOr404(deps.live, gbIdParam.parse(ctx.params.streamId));
    ctx.status = 204;
  });

  return router;
}

async function stopOr404(live: LiveStreams, channelId: string): Promise<void> {
  if (!(await live.stop(channelId))) throw new AppError('not_found', `no live stream of ${channelId} is running`);
}
