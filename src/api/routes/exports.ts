import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Router } from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { ExportJobs } from '../../media/export/export-jobs';
import type { ExportJobRecord } from '../../media/export/job-types';
import { readJson } from '../body';
import { gbIdParam, timeParam } from '../params';

const createBody = z
  .object({
    channelId: gbIdParam,
    start: z.union([z.number(), timeParam]),
    end: z.union([z.number(), timeParam]),
  })
  .strict();

const jobId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'not an export job ID');

/** The job as the API shows it: the server's file path stays inside. */
function view(job: ExportJobRecord): Record<string, unknown> {
  const { result, source, ...fields } = job;
  // A saved download names its session; the URL it read (with its token) stays inside.
  const rest = source !== undefined ? { ...fields, source: { kind: source.kind, streamId: source.streamId } } : fields;
  if (result === undefined) return rest;
  const { outFile: _outFile, ...shown } = result;
  return { ...rest, result: shown, download: `/api/v1/exports/${job.id}/file` };
}

/** /api/v1/exports: clips of platform recordings as MP4 files, made in the background. */
export function exportRoutes(jobs: ExportJobs): Router {
  const router = new Router();
  const mustGet = (id: string): ExportJobRecord => {
    const job = jobs.get(jobId.parse(id));
    if (job === undefined) throw new AppError('not_found', `export ${id} is not known (finished exports are kept for a day)`);
    return job;
  };

  router.post('/exports', async (ctx) => {
    const body = createBody.parse(await readJson(ctx));
    const job = jobs.create({ channelId: body.channelId, from: body.start, to: body.end });
    ctx.status = 202;
    ctx.body = view(job);
  });

  router.get('/exports', (ctx) => {
    const items = jobs.list().map(view);
    ctx.body = { total: items.length, items };
  });

  router.get('/exports/:id', (ctx) => {
    ctx.body = view(mustGet(ctx.params.id ?? ''));
  });

  router.get('/exports/:id/file', async (ctx) => {
    const job = mustGet(ctx.params.id ?? '');
    const file = jobs.fileOf(job.id);
    if (file === null || job.result === undefined) throw new AppError('conflict', `export ${job.id} is ${job.state}, not done`);
    const info = await stat(file).catch(() => null);
    if (info === null) throw new AppError('not_found', `the file of export ${job.id} is gone`);
    ctx.set('Content-Disposition', `attachment; filename="${job.channelId}_${new Date(job.result.startedAt).toISOString().replace(/[:.]/g, '-')}.mp4"`);
    ctx.set('X-Content-SHA256', job.result.sha256);
    ctx.type = 'video/mp4';
    ctx.length = info.size;
    ctx.body = createReadStream(file);
  });

  router.get('/exports/:id/verify', async (ctx) => {
    const job = mustGet(ctx.params.id ?? '');
    if (job.result === undefined) throw new AppError('conflict', `export ${job.id} is ${job.state}, not done`);
    ctx.body = { id: job.id, sha256: job.result.sha256, unchanged: await jobs.verify(job.id) };
  });

  router.delete('/exports/:id', (ctx) => {
    const job = mustGet(ctx.params.id ?? '');
    if (!jobs.cancel(job.id)) throw new AppError('conflict', `export ${job.id} is ${job.state}: nothing to cancel`);
    ctx.status = 204;
  });

  return router;
}
