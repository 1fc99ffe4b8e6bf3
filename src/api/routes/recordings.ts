import { Router } from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { RecordingService } from '../../recording/recording-service';
import type { RetentionSweeper } from '../../recording/retention';
import type { IndexStore } from '../../storage/ports';
import { readJson } from '../body';
import { gbIdParam, timeParam } from '../params';

const DAY_MS = 86_400_000;
/** A coverage answer spans at most a year; segment lists are capped (page with a later start). */
const MAX_RANGE_MS = 366 * DAY_MS;
const MAX_SEGMENTS = 2000;

const windowBody = z.object({ day: z.number().int().min(0).max(6), start: z.string(), end: z.string() }).strict();
const planBody = z
  .object({
    enabled: z.boolean().default(true),
    mode: z.enum(['continuous', 'schedule']),
    windows: z.array(windowBody).max(100).default([]),
    retentionDays: z.number().int().min(1).max(3650).nullable().default(null),
  })
  .strict();

const rangeQuery = z.object({
  start: timeParam,
  end: timeParam,
  segments: z.enum(['true', 'false']).optional(),
  limit: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(MAX_SEGMENTS)).optional(),
});

const lockBody = z.object({ start: z.union([z.number(), timeParam]), end: z.union([z.number(), timeParam]), locked: z.boolean() }).strict();

export interface RecordingRouteDeps {
  service: RecordingService;
  index: IndexStore;
  retention: RetentionSweeper;
}

function checkRange(start: number, end: number): void {
  if (!(end > start)) throw new AppError('bad_request', 'end must be after start');
  if (end - start > MAX_RANGE_MS) throw new AppError('bad_request', 'the range may span at most 366 days');
}

/** Recording plans, what was recorded (ranges and gaps), evidence locks. */
export function recordingRoutes(deps: RecordingRouteDeps): Router {
  const router = new Router();

  router.get('/recording-plans', async (ctx) => {
    const items = await deps.service.listPlans();
    ctx.body = { total: items.length, items, recording: deps.service.recording() };
  });

  router.get('/channels/:channelId/recording-plan', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    ctx.body = { ...(await deps.service.getPlan(channelId)), recording: deps.service.isRecording(channelId) };
  });

  router.put('/channels/:channelId/recording-plan', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const plan = await deps.service.putPlan(channelId, planBody.parse(await readJson(ctx)));
    ctx.body = { ...plan, recording: deps.service.isRecording(channelId) };
  });

  router.delete('/channels/:channelId/recording-plan', async (ctx) => {
    await deps.service.deletePlan(gbIdParam.parse(ctx.params.channelId));
    ctx.status = 204;
  });

  router.post('/channels/:channelId/recording/start', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    ctx.body = { ...(await deps.service.startNow(channelId)), recording: deps.service.isRecording(channelId) };
  });

  router.post('/channels/:channelId/recording/stop', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    ctx.body = { ...(await deps.service.stopNow(channelId)), recording: deps.service.isRecording(channelId) };
  });

  router.get('/channels/:channelId/recordings', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const q = rangeQuery.parse(ctx.query);
    checkRange(q.start, q.end);
    const coverage = await deps.index.recordingCoverage({ channelId, from: q.start, to: q.end });
    const segments = q.segments === 'true' ? await deps.index.listRecordingSegments({ channelId, from: q.start, to: q.end, limit: q.limit ?? MAX_SEGMENTS }) : undefined;
    ctx.body = { channelId, start: q.start, end: q.end, ...coverage, ...(segments !== undefined ? { segmentList: segments } : {}) };
  });

  router.post('/channels/:channelId/recordings/lock', async (ctx) => {
    const channelId = gbIdParam.parse(ctx.params.channelId);
    const body = lockBody.parse(await readJson(ctx));
    checkRange(body.start, body.end);
    const segments = await deps.index.setRecordingLock({ channelId, from: body.start, to: body.end, locked: body.locked });
    ctx.body = { channelId, start: body.start, end: body.end, locked: body.locked, segments };
  });

  router.get('/recordings/totals', async (ctx) => {
    ctx.body = await deps.index.recordingTotals();
  });

  return router;
}
