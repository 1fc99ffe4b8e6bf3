import { Router } from '@koa/router';
import { createReadStream } from 'node:fs';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors';
import type { AuditLog } from '../../operations/audit/audit-log';
import { callerOf } from '../../operations/audit/caller';
import { maskIdentifier } from '../../operations/audit/mask';
import { UnknownDoorDeviceError, type DoorService } from '../../operations/doors/door-service';
import { photoType } from '../../operations/doors/photos';
import { presentDoorRecord } from '../../operations/doors/present';
import type { DoorRecord } from '../../operations/doors/types';
import { readJson } from '../body';
import { sendError } from '../errors';
import { gbIdParam, pagingParams, timeParam } from '../params';

const METHODS = ['card', 'face', 'app', 'password', 'call', 'fingerprint', 'remote'] as const;
const identifier = z.string().trim().min(1).max(128);
/** 9999-12-31T23:59:59.999Z: later times are no door events, and no Date (the photo folder) can hold them. */
const LATEST_TIME = 253_402_300_799_999;

const ingestBody = z
  .object({
    /** The event's own ID at the gateway: the idempotency key. */
    eventId: z.string().trim().min(1).max(128),
    deviceId: gbIdParam,
    doorId: gbIdParam.nullable().default(null),
    time: z.union([z.number().int().nonnegative(), timeParam]).refine((t) => t >= 0 && t <= LATEST_TIME, 'must be a time between 1970 and 9999'),
    kind: z.enum(['door-opened', 'unlock', 'unlock-failed']).default('unlock'),
    method: z.enum(METHODS).nullable().default(null),
    direction: z.enum(['in', 'out']).nullable().default(null),
    cardNumber: identifier.nullable().default(null),
    personId: identifier.nullable().default(null),
    personName: identifier.nullable().default(null),
    /** JPEG or PNG, base64 (a data: URL prefix is accepted). */
    photo: z.string().min(1).nullable().default(null),
    description: z.string().max(512).nullable().default(null),
  })
  .strict();

const listQuery = z.object({
  ...pagingParams,
  buildingId: z.string().min(1).max(64).optional(),
  person: z.string().min(1).max(128).optional(),
  card: z.string().min(1).max(128).optional(),
  method: z.enum(METHODS).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});
const recordId = z.string().min(1).max(64);

export interface DoorEventRouteDeps {
  doors: DoorService;
  audit: AuditLog;
}

function decodePhoto(text: string | null): Buffer | null {
  if (text === null) return null;
  const base64 = text.replace(/^data:image\/[a-z]+;base64,/i, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new AppError('bad_request', 'photo: must be base64');
  const bytes = Buffer.from(base64, 'base64');
  if (photoType(bytes) === null) throw new AppError('bad_request', 'photo: must be a JPEG or PNG image');
  return bytes;
}

/** /api/v1/door-events: ingest from vendor gateways (idempotent), queries with masking and audit, photos. */
export function doorEventRoutes(deps: DoorEventRouteDeps): Router {
  const router = new Router();
  const { doors, audit } = deps;
  const present = async (record: DoorRecord, unmasked: boolean) => presentDoorRecord(record, unmasked, await doors.footage(record));

  router.post('/door-events', async (ctx) => {
    const body = ingestBody.parse(await readJson(ctx));
    const photo = decodePhoto(body.photo);
    try {
      const { record, created } = await doors.ingest({ ...body, source: 'rest', photo });
      ctx.status = created ? 201 : 200;
      ctx.body = await present(record, false);
    } catch (err) {
      if (!(err instanceof UnknownDoorDeviceError)) throw err;
      sendError(ctx, 422, 'unknown_device', err.message);
    }
  });

  router.get('/door-events', async (ctx) => {
    const q = listQuery.parse(ctx.query);
    const caller = callerOf(ctx);
    const byIdentity = q.person !== undefined || q.card !== undefined;
    // Even masked results would say where and when a given card or person was seen: following
    // one person is an investigator's act, and it is audited whether or not anything is found.
    if (byIdentity && !caller.unmasked) {
      sendError(ctx, 403, 'forbidden', 'searching door records by card or person needs the privileged token with X-Gbvms-Role: investigator');
      return;
    }
    const page = await doors.list({
      offset: q.offset,
      limit: q.limit,
      ...(q.buildingId !== undefined ? { buildingId: q.buildingId } : {}),
      ...(q.person !== undefined ? { personId: q.person } : {}),
      ...(q.card !== undefined ? { cardNumber: q.card } : {}),
      ...(q.method !== undefined ? { method: q.method } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    });
    if (caller.unmasked && (page.items.length > 0 || byIdentity)) {
      // The audit line names what was seen, not the identifiers searched for.
      const query = { ...q, ...(q.person ? { person: maskIdentifier(q.person) } : {}), ...(q.card ? { card: maskIdentifier(q.card) } : {}) };
      await audit.mustRecord(caller, 'door-events.read', page.items.map((r) => r.id).join(','), 'OK', { count: page.items.length, query });
    }
    const items = [];
    for (const r of page.items) items.push(await present(r, caller.unmasked));
    ctx.body = { total: page.total, offset: q.offset, limit: q.limit, masked: !caller.unmasked, items };
  });

  router.get('/door-events/:id', async (ctx) => {
    const record = await found(doors, recordId.parse(ctx.params.id));
    const caller = callerOf(ctx);
    if (caller.unmasked) await audit.mustRecord(caller, 'door-events.read', record.id, 'OK', { count: 1 });
    ctx.body = await present(record, caller.unmasked);
  });

  router.get('/door-events/:id/photo', async (ctx) => {
    const record = await found(doors, recordId.parse(ctx.params.id));
    const caller = callerOf(ctx);
    if (!caller.unmasked) return forbidden(ctx);
    if (record.photo === null) throw new AppError('not_found', `door record ${record.id} has no photo`);
    await audit.mustRecord(caller, 'door-events.photo', record.id, 'OK');
    ctx.type = record.photo.endsWith('.png') ? 'image/png' : 'image/jpeg';
    ctx.body = createReadStream(doors.photos.path(record.photo));
  });

  return router;
}

async function found(doors: DoorService, id: string): Promise<DoorRecord> {
  const record = await doors.get(id);
  if (!record) throw new AppError('not_found', `door record ${id} does not exist`);
  return record;
}

/** Photos and unmasked data need the privileged token together with X-Gbvms-Role: investigator. */
export function forbidden(ctx: Context): void {
  sendError(ctx, 403, 'forbidden', 'this needs the investigator role (privileged token and X-Gbvms-Role: investigator)');
}
