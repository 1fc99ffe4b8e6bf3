import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors';
import { CLIP_ID } from '../../media/broadcast/clip-store';
import type { BroadcastService } from '../../sip/broadcast/broadcast-service';
import { readJson } from '../body';
import { gbIdParam } from '../params';

export interface BroadcastRouteDeps {
  service: BroadcastService;
  /** Largest audio file accepted in a request body. */
  maxUploadBytes: number;
}

const clipBody = z
  .object({
    clipId: z.string().regex(CLIP_ID, 'not a clip ID'),
    targetId: gbIdParam.optional(),
  })
  .strict();

const uploadQuery = z.object({ targetId: gbIdParam.optional() });
const broadcastId = z.string().regex(/^[a-z0-9]{6,12}-[0-9a-f]{10}$/, 'not a broadcast ID');

/** /api/v1: voice broadcast to a device's audio output, from an uploaded file or an earlier clip. */
export function broadcastRoutes(deps: BroadcastRouteDeps): Router {
  const router = new Router();
  const mustGet = (id: string) => {
    const view = deps.service.get(broadcastId.parse(id));
    if (view === null) throw new AppError('not_found', `broadcast ${id} is not known`);
    return view;
  };

  router.post('/devices/:id/broadcast', async (ctx) => {
    const deviceId = gbIdParam.parse(ctx.params.id);
    const view = /json/i.test(ctx.get('content-type'))
      ? await (async () => {
          const body = clipBody.parse(await readJson(ctx));
          return deps.service.start(deviceId, { kind: 'clip', clipId: body.clipId }, body.targetId !== undefined ? { targetId: body.targetId } : {});
        })()
      : await (async () => {
          const { targetId } = uploadQuery.parse(ctx.query);
          const data = await readAudio(ctx, deps.maxUploadBytes);
          return deps.service.start(deviceId, { kind: 'upload', data }, targetId !== undefined ? { targetId } : {});
        })();
    ctx.status = 201;
    ctx.body = view;
  });

  router.get('/broadcasts', (ctx) => {
    const items = deps.service.list();
    ctx.body = { total: items.length, items };
  });

  router.get('/broadcasts/:id', (ctx) => {
    ctx.body = mustGet(ctx.params.id ?? '');
  });

  router.delete('/broadcasts/:id', (ctx) => {
    const id = mustGet(ctx.params.id ?? '').id;
    ctx.body = deps.service.stop(id);
  });

  return router;
}

async function readAudio(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new AppError('bad_request', `the audio file is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('bad_request', `the audio file is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) throw new AppError('bad_request', 'send the audio file as the request body, or JSON {"clipId": ...}');
  return Buffer.concat(chunks);
}
