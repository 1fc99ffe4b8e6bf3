import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { BuildingService } from '../../operations/buildings/building-service';
import { decodeCsvBytes } from '../../operations/csv/decode';
import { readJson } from '../body';
import { gbIdParam, pagingParams } from '../params';

/** An import of 10,000 buildings is about 1.5 MB of CSV; this leaves room for 50,000 rows with long addresses. */
const IMPORT_LIMIT = 32 * 1024 * 1024;

const listQuery = z.object({
  ...pagingParams,
  street: z.string().min(1).max(64).optional(),
  community: z.string().min(1).max(64).optional(),
  state: z.enum(['active', 'removed', 'relocated']).optional(),
  line: z.string().min(1).max(64).optional(),
  keyword: z.string().max(100).optional(),
});

const importQuery = z.object({
  mode: z.enum(['insert', 'upsert']).default('insert'),
  dryRun: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

const exportQuery = z.object({ format: z.enum(['csv', 'json']).default('json') });

const buildingIdParam = z.string().min(1).max(64);

async function readRaw(ctx: Context, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('bad_request', `request body larger than ${limit / 1024 / 1024} MiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** /api/v1/buildings: the district's buildings with their devices; CSV/JSON import and export. */
export function buildingRoutes(service: BuildingService): Router {
  const router = new Router();

  router.get('/buildings', async (ctx) => {
    const q = listQuery.parse(ctx.query);
    const page = await service.list(q);
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.post('/buildings', async (ctx) => {
    ctx.status = 201;
    ctx.body = await service.create(await readJson(ctx));
  });

  // Before /buildings/:buildingId, which would take "import" and "export" as IDs.
  router.post('/buildings/import', async (ctx) => {
    const options = importQuery.parse(ctx.query);
    const type = ctx.get('content-type');
    const body = await readRaw(ctx, IMPORT_LIMIT);
    let report;
    if (/csv|text\/plain/i.test(type)) {
      report = await service.importCsv(decodeCsvBytes(body).text, options);
    } else if (/json/i.test(type)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new AppError('bad_request', 'request body is not valid JSON');
      }
      report = await service.importJson(parsed, options);
    } else {
      throw new AppError('bad_request', 'send the buildings as text/csv or as an application/json array');
    }
    ctx.status = report.ok ? 200 : 422;
    ctx.body = report;
  });

  router.get('/buildings/export', async (ctx) => {
    const { format } = exportQuery.parse(ctx.query);
    const day = new Date().toISOString().slice(0, 10);
    if (format === 'csv') {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="buildings-${day}.csv"`);
      ctx.body = await service.exportCsv();
    } else {
      ctx.set('Content-Disposition', `attachment; filename="buildings-${day}.json"`);
      ctx.body = await service.exportJson();
    }
  });

  router.get('/buildings/:buildingId', async (ctx) => {
    ctx.body = await service.get(buildingIdParam.parse(ctx.params.buildingId));
  });

  router.patch('/buildings/:buildingId', async (ctx) => {
    const id = buildingIdParam.parse(ctx.params.buildingId);
    const patch = await readJson(ctx);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new AppError('bad_request', 'the body must be an object of fields');
    ctx.body = await service.update(id, patch as Record<string, unknown>);
  });

  router.delete('/buildings/:buildingId', async (ctx) => {
    await service.delete(buildingIdParam.parse(ctx.params.buildingId));
    ctx.status = 204;
  });

  router.get('/devices/:deviceId/building', async (ctx) => {
    ctx.body = await service.ofDevice(gbIdParam.parse(ctx.params.deviceId));
  });

  return router;
}
