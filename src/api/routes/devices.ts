import { Router } from '@koa/router';
import type { DeviceService } from '../../sip/device/device-service';
import { readJson } from '../body';
import {
  channelListQuery,
  defined,
  deviceCreateBody,
  deviceListQuery,
  devicePatchBody,
  deviceRecordingQuery,
  eventQuery,
  gbIdParam,
} from '../params';

const DAY_MS = 24 * 3600 * 1000;

/** /api/v1/devices and /api/v1/channels. */
export function deviceRoutes(devices: DeviceService): Router {
  const router = new Router();

  router.get('/devices', async (ctx) => {
    const q = deviceListQuery.parse(ctx.query);
    const page = await devices.list(defined({ online: q.online, typeCode: q.type, keyword: q.keyword, offset: q.offset, limit: q.limit }));
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.post('/devices', async (ctx) => {
    const body = deviceCreateBody.parse(await readJson(ctx));
    ctx.status = 201;
    ctx.body = await devices.provision(defined(body));
  });

  router.get('/devices/:deviceId', async (ctx) => {
    ctx.body = await devices.get(gbIdParam.parse(ctx.params.deviceId));
  });

  router.patch('/devices/:deviceId', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.deviceId);
    ctx.body = await devices.update(id, defined(devicePatchBody.parse(await readJson(ctx))));
  });

  router.delete('/devices/:deviceId', async (ctx) => {
    await devices.remove(gbIdParam.parse(ctx.params.deviceId));
    ctx.status = 204;
  });

  router.get('/devices/:deviceId/channels', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.deviceId);
    const q = channelListQuery.omit({ deviceId: true }).parse(ctx.query);
    const page = await devices.channels(defined({ ...q, deviceId: id }));
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.post('/devices/:deviceId/catalog', async (ctx) => {
    ctx.body = await devices.refreshCatalog(gbIdParam.parse(ctx.params.deviceId));
  });

  router.get('/devices/:deviceId/info', async (ctx) => {
    ctx.body = await devices.deviceInfo(gbIdParam.parse(ctx.params.deviceId));
  });

  router.get('/devices/:deviceId/status', async (ctx) => {
    ctx.body = await devices.deviceStatus(gbIdParam.parse(ctx.params.deviceId));
  });

  router.get('/devices/:deviceId/events', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.deviceId);
    const q = eventQuery.parse(ctx.query);
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    if (from > to) {
      ctx.status = 400;
      ctx.body = { error: { code: 'bad_request', message: 'from must not be after to' } };
      return;
    }
    ctx.body = { items: await devices.events(defined({ deviceId: id, from, to, type: q.type, limit: q.limit })), from, to };
  });

  router.get('/channels', async (ctx) => {
    const q = channelListQuery.parse(ctx.query);
    const page = await devices.channels(defined(q));
    ctx.body = { ...page, offset: q.offset, limit: q.limit };
  });

  router.get('/channels/:channelId', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.channelId);
    const deviceId = typeof ctx.query.deviceId === 'string' ? gbIdParam.parse(ctx.query.deviceId) : undefined;
    ctx.body = await devices.channel(id, deviceId);
  });

  // Recordings on the device's own disk (RecordInfo), as opposed to footage the platform recorded.
  router.get('/channels/:channelId/device-recordings', async (ctx) => {
    const id = gbIdParam.parse(ctx.params.channelId);
    const q = deviceRecordingQuery.parse(ctx.query);
    ctx.body = await devices.deviceRecordings(id, defined({ start: q.start, end: q.end, type: q.type }), q.deviceId);
  });

  return router;
}
