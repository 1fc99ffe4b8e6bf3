import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors';
import { SNAPSHOT_ID } from '../../snapshots/snapshot-files';
import type { SnapshotService } from '../../snapshots/snapshot-service';
import type { Snapshot } from '../../snapshots/types';
import { uploadedImages } from '../../snapshots/upload-body';
import { readJson } from '../body';
import { sendError } from '../errors';
import { gbIdParam, timeParam } from '../params';

const captureBody = z
  .object({
    mode: z.enum(['auto', 'device', 'stream']).optional(),
    count: z.number().int().min(1).max(10).optional(),
    intervalSec: z.number().int().min(1).max(60).optional(),
  })
  .strict();

const listQuery = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .optional(),
});

const snapshotId = z.string().regex(SNAPSHOT_ID, 'not a snapshot ID');

/** The record as the API shows it: the file path stays inside, the picture has its own URL. */
function view(s: Snapshot): Record<string, unknown> {
  const { path: _path, ...shown } = s;
  return { ...shown, image: `/api/v1/snapshots/${s.id}/image` };
}

/** /api/v1: pictures of channels, taken on request and kept for a while. */
export function snapshotRoutes(service: SnapshotService): Router {
  const router = new Router();
  const mustGet = async (id: string): Promise<Snapshot> => {
    const s = await service.get(snapshotId.parse(id));
    if (s === null) throw new AppError('not_found', `snapshot ${id} is not known`);
    return s;
  };

  router.post('/channels/:id/snapshots', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.id);
    const body = captureBody.parse(await readJson(ctx));
    const result = await service.capture(channelId, body);
    ctx.status = 201;
    ctx.body = { source: result.source, ...(result.fallbackReason ? { fallbackReason: result.fallbackReason } : {}), items: result.items.map(view) };
  });

  router.get('/channels/:id/snapshots', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.id);
    const q = listQuery.parse(ctx.query);
    const items = await service.list(channelId, { ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), limit: q.limit ?? 100 });
    ctx.body = { total: items.length, items: items.map(view) };
  });

  router.get('/snapshots/:id', async (ctx) => {
    ctx.body = view(await mustGet(ctx.params.id ?? ''));
  });

  router.get('/snapshots/:id/image', async (ctx) => {
    const s = await mustGet(ctx.params.id ?? '');
    const file = service.fileOf(s);
    const info = await stat(file).catch(() => null);
    if (info === null) throw new AppError('not_found', `the picture of snapshot ${s.id} is gone`);
    ctx.type = 'image/jpeg';
    ctx.length = info.size;
    ctx.set('Cache-Control', 'private, max-age=86400');
    ctx.body = createReadStream(file);
  });

  return router;
}

/**
 * Where devices upload their pictures (outside /api/v1: devices have no API token). The token in
 * the path is the credential; a device may append a file name to the URL. Bodies are size-limited
 * and must hold a JPEG (checked by its bytes).
 */
export function snapshotUploadRoutes(service: SnapshotService): Router {
  const router = new Router();
  const upload = async (ctx: Context): Promise<void> => {
    const token = String(ctx.params.token ?? '');
    const name = typeof ctx.params.name === 'string' ? ctx.params.name : null;
    if (!/^[A-Za-z0-9_-]{43}$/.test(token) || service.uploads.byUploadToken(token) === null) {
      sendError(ctx, 404, 'not_found', 'no snapshot upload is expected at this URL');
      return;
    }
    const body = await readLimited(ctx, service.maxUploadBytes);
    if (body === null) {
      sendError(ctx, 413, 'payload_too_large', `an upload may hold at most ${service.maxUploadBytes} bytes`);
      return;
    }
    const parsed = uploadedImages(body, ctx.get('content-type'), name);
    if (!parsed.ok) {
      sendError(ctx, 415, 'unsupported_media_type', parsed.error);
      return;
    }
    const taken = await service.acceptUpload(token, parsed.images);
    if (taken === null) {
      sendError(ctx, 404, 'not_found', 'the snapshot request ended before the upload');
      return;
    }
    ctx.status = 200;
    ctx.body = { received: taken };
  };
  for (const path of ['/upload/snapshots/:token', '/upload/snapshots/:token/:name']) {
    router.post(path, upload);
    router.put(path, upload);
  }
  return router;
}

/** The request body, or null when it is larger than `limit` (reading stops there). */
async function readLimited(ctx: Context, limit: number): Promise<Buffer | null> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
