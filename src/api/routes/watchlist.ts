import { Router } from '@koa/router';
import { z } from 'zod';
import type { AuditLog } from '../../operations/audit/audit-log';
import { callerOf } from '../../operations/audit/caller';
import { maskIdentifier } from '../../operations/audit/mask';
import type { WatchlistAlert, WatchlistEntry } from '../../operations/watchlist/types';
import { maskAlert, type WatchlistService } from '../../operations/watchlist/watchlist-service';
import { readJson } from '../body';
import { pagingParams, timeParam } from '../params';

const id = z.string().min(1).max(64);
const priority = z.number().int().min(1).max(4);
const entryBody = z
  .object({ kind: z.enum(['person', 'card']), value: z.string().trim().min(1).max(128), reason: z.string().trim().min(1).max(500), priority: priority.default(2) })
  .strict();
const entryPatch = z.object({ reason: z.string().trim().min(1).max(500).optional(), priority: priority.optional() }).strict();
const alertQuery = z.object({
  ...pagingParams,
  state: z.enum(['open', 'acknowledged', 'closed']).optional(),
  buildingId: z.string().min(1).max(64).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});
const by = z.string().trim().min(1).max(128);
const acknowledgeBody = z.object({ by: by.optional() }).strict();
const closeBody = z.object({ by: by.optional(), note: z.string().trim().min(1).max(2000) }).strict();

const maskEntry = (e: WatchlistEntry) => ({ ...e, value: maskIdentifier(e.value) ?? '', masked: true });
const wholeEntry = (e: WatchlistEntry) => ({ ...e, masked: false });
const wholeAlert = (a: WatchlistAlert) => ({ ...a, masked: false });

export interface WatchlistRouteDeps {
  watchlist: WatchlistService;
  audit: AuditLog;
}

/** /api/v1/watchlist (entries) and /api/v1/watchlist-alerts; identifiers masked unless the caller is an investigator (audited). */
export function watchlistRoutes(deps: WatchlistRouteDeps): Router {
  const router = new Router();
  const { watchlist, audit } = deps;

  router.get('/watchlist', async (ctx) => {
    const q = z.object(pagingParams).parse(ctx.query);
    const caller = callerOf(ctx);
    const page = await watchlist.listEntries(q.offset, q.limit);
    if (caller.unmasked && page.items.length > 0) await audit.mustRecord(caller, 'watchlist.read', page.items.map((e) => e.id).join(','), 'OK', { count: page.items.length });
    ctx.body = { total: page.total, offset: q.offset, limit: q.limit, items: page.items.map(caller.unmasked ? wholeEntry : maskEntry) };
  });

  router.post('/watchlist', async (ctx) => {
    const entry = await watchlist.createEntry(entryBody.parse(await readJson(ctx)));
    ctx.status = 201;
    ctx.body = callerOf(ctx).unmasked ? wholeEntry(entry) : maskEntry(entry);
  });

  router.get('/watchlist/:id', async (ctx) => {
    const entry = await watchlist.getEntry(id.parse(ctx.params.id));
    const caller = callerOf(ctx);
    if (caller.unmasked) await audit.mustRecord(caller, 'watchlist.read', entry.id, 'OK', { count: 1 });
    ctx.body = caller.unmasked ? wholeEntry(entry) : maskEntry(entry);
  });

  router.patch('/watchlist/:id', async (ctx) => {
    const entryId = id.parse(ctx.params.id);
    const patch = entryPatch.parse(await readJson(ctx));
    const entry = await watchlist.updateEntry(entryId, {
      ...(patch.reason !== undefined ? { reason: patch.reason } : {}),
      ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
    });
    ctx.body = callerOf(ctx).unmasked ? wholeEntry(entry) : maskEntry(entry);
  });

  router.delete('/watchlist/:id', async (ctx) => {
    await watchlist.deleteEntry(id.parse(ctx.params.id));
    ctx.status = 204;
  });

  router.get('/watchlist-alerts', async (ctx) => {
    const q = alertQuery.parse(ctx.query);
    const caller = callerOf(ctx);
    const page = await watchlist.listAlerts({
      offset: q.offset,
      limit: q.limit,
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.buildingId !== undefined ? { buildingId: q.buildingId } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    });
    if (caller.unmasked && page.items.length > 0) await audit.mustRecord(caller, 'watchlist-alerts.read', page.items.map((a) => a.id).join(','), 'OK', { count: page.items.length });
    ctx.body = { total: page.total, offset: q.offset, limit: q.limit, items: page.items.map(caller.unmasked ? wholeAlert : maskAlert) };
  });

  router.get('/watchlist-alerts/:id', async (ctx) => {
    const alert = await watchlist.getAlert(id.parse(ctx.params.id));
    const caller = callerOf(ctx);
    if (caller.unmasked) await audit.mustRecord(caller, 'watchlist-alerts.read', alert.id, 'OK', { count: 1 });
    ctx.body = caller.unmasked ? wholeAlert(alert) : maskAlert(alert);
  });

  router.post('/watchlist-alerts/:id/acknowledge', async (ctx) => {
    const alertId = id.parse(ctx.params.id);
    const body = acknowledgeBody.parse(await readJson(ctx));
    ctx.body = maskAlert(await watchlist.acknowledge(alertId, body.by ?? callerOf(ctx).actor));
  });

  router.post('/watchlist-alerts/:id/close', async (ctx) => {
    const alertId = id.parse(ctx.params.id);
    const body = closeBody.parse(await readJson(ctx));
    ctx.body = maskAlert(await watchlist.close(alertId, body.by ?? callerOf(ctx).actor, body.note));
  });

  return router;
}
