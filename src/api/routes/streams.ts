import { Router, type RouterContext } from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { PlaybackUrls } from '../../media/access/playback-urls';
import type { LiveStreams, LiveStreamView } from '../../sip/play/live-streams';
import { readJson } from '../body';
import { gbIdParam, timeParam } from '../params';

const liveStartBody = z
  .object({ transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional() })
  .strict();

const streamPatchBody = z.object({ keepRunning: z.boolean() }).strict();

export interface StreamRouteDeps {
  live: LiveStreams;
  /** Playback URLs of a stream, for a request that came to `requestHost`. */
  urls(streamId: string, requestHost: string): PlaybackUrls;
  /** Keeps a device download as an export job (an MP4 with its hash); returns the job ID. */
  saveDownload?(channelId: string, streamId: string, from: number, to: number): string;
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

const deviceHistoryBody = z
  .object({
    start: z.union([z.number(), timeParam]),
    end: z.union([z.number(), timeParam]),
    transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional(),
    download: z.boolean().default(false),
    downloadSpeed: z.number().int().min(1).max(8).optional(),
    /** Download only: keep it as an export job (an MP4 with its SHA-256). */
    save: z.boolean().default(false),
  })
  .strict();

const deviceControlBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('pause') }).strict(),
  z.object({ action: z.literal('resume') }).strict(),
  z.object({ action: z.literal('seek'), time: z.union([z.number(), timeParam]) }).strict(),
  z.object({ action: z.literal('speed'), speed: z.number().min(0.25).max(8) }).strict(),
]);

const deviceStreamId = z.string().regex(/^\d{20}_device-\d{1,9}$/, 'not a device playback stream ID');
const DAY_MS = 86_400_000;

/** /api/v1/channels/{id}/device-playback and /api/v1/device-playback: the device's own recordings. */
export function devicePlaybackRoutes(deps: StreamRouteDeps): Router {
  const router = new Router();
  const withUrls = (ctx: RouterContext, stream: LiveStreamView) => ({ ...stream, urls: deps.urls(stream.streamId, ctx.request.hostname) });

  router.post('/channels/:channelId/device-playback', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const body = deviceHistoryBody.parse(await readJson(ctx));
    if (!(body.end > body.start) || body.end - body.start > DAY_MS) throw new AppError('bad_request', 'end must be after start, at most 24 h later');
    if (body.save && !body.download) throw new AppError('bad_request', 'save applies to downloads (download: true)');
    let exportId: string | null = null;
    const save = deps.saveDownload;
    const hooks = body.save && save !== undefined ? { onOpened: (streamId: string) => (exportId = save(channelId, streamId, body.start, body.end)) } : {};
    const view = await deps.live.fromDevice(channelId, {
      session: body.download ? 'Download' : 'Playback',
      start: body.start,
      end: body.end,
      ...(body.transport !== undefined ? { transport: body.transport } : {}),
      ...(body.downloadSpeed !== undefined ? { downloadSpeed: body.downloadSpeed } : {}),
    }, hooks);
    ctx.body = { ...withUrls(ctx, view), exportId };
  });

  router.get('/device-playback/:streamId', async (ctx) => {
    ctx.body = withUrls(ctx, await deps.live.get(deviceStreamId.parse(ctx.params.streamId)));
  });

  router.patch('/device-playback/:streamId', async (ctx) => {
    const id = deviceStreamId.parse(ctx.params.streamId);
    ctx.body = withUrls(ctx, await deps.live.controlDevice(id, deviceControlBody.parse(await readJson(ctx))));
  });

  router.delete('/device-playback/:streamId', async (ctx) => {
    await stopOr404(deps.live, deviceStreamId.parse(ctx.params.streamId));
    ctx.status = 204;
  });

  return router;
}
