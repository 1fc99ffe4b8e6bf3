import { Router, type RouterContext } from '@koa/router';
import { z } from 'zod';
import type { PlaybackUrls } from '../../media/access/playback-urls';
import type { PlaybackService, PlaybackView } from '../../recording/playback-service';
import { readJson } from '../body';
import { gbIdParam, timeParam } from '../params';

const speed = z.number().min(0.5).max(8);
const openBody = z.object({ start: z.union([z.number(), timeParam]), speed: speed.default(1) }).strict();
const controlBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('pause') }).strict(),
  z.object({ action: z.literal('resume') }).strict(),
  z.object({ action: z.literal('seek'), time: z.union([z.number(), timeParam]) }).strict(),
  z.object({ action: z.literal('speed'), speed }).strict(),
]);
const playbackId = z.string().regex(/^\d{20}_playback-\d{1,9}$/, 'not a playback stream ID');

export interface PlaybackRouteDeps {
  playback: PlaybackService;
  urls(streamId: string, requestHost: string): PlaybackUrls;
}

/** Playback of platform recordings through the live outputs, with pause, resume, seek and speed. */
export function playbackRoutes(deps: PlaybackRouteDeps): Router {
  const router = new Router();
  const withUrls = (ctx: RouterContext, view: PlaybackView) => ({ ...view, urls: deps.urls(view.streamId, ctx.request.hostname) });

  router.post('/channels/:channelId/playback', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const body = openBody.parse(await readJson(ctx));
    ctx.body = withUrls(ctx, await deps.playback.open(channelId, body.start, body.speed));
  });

  router.get('/playback', async (ctx) => {
    const items = await deps.playback.list();
    ctx.body = { total: items.length, items: items.map((v) => withUrls(ctx, v)) };
  });

  router.get('/playback/:streamId', async (ctx) => {
    ctx.body = withUrls(ctx, await deps.playback.get(playbackId.parse(ctx.params.streamId)));
  });

  router.patch('/playback/:streamId', async (ctx) => {
    const id = playbackId.parse(ctx.params.streamId);
    ctx.body = withUrls(ctx, await deps.playback.control(id, controlBody.parse(await readJson(ctx))));
  });

  router.delete('/playback/:streamId', async (ctx) => {
    await deps.playback.close(playbackId.parse(ctx.params.streamId));
    ctx.status = 204;
  });

  return router;
}
