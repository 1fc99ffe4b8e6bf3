import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  CONFIG_TYPES,
  PTZ_ACTIONS,
  canonicalConfigType,
  maxSpeedOf,
  ptzActionCommand,
  PTZ_STOP,
  type ControlOutcome,
  type DeviceControlService,
  type PtzCommand,
} from '../../sip/control';
import { readJson } from '../body';
import { defined, gbIdParam } from '../params';

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const group = int(0, 255);
const twelveBit = int(1, 4095);

const ptzBody = z
  .object({ action: z.enum(PTZ_ACTIONS), speed: int(0, 255).optional() })
  .strict()
  .superRefine((b, ctx) => {
    const max = maxSpeedOf(b.action);
    if (b.speed !== undefined && b.speed > max) ctx.addIssue({ code: 'custom', path: ['speed'], message: `must be from 0 to ${max} for ${b.action}` });
  });

const presetId = z.string().regex(/^\d{1,3}$/, 'must be a preset number from 1 to 255').transform(Number).pipe(int(1, 255));
const presetBody = z.object({ id: int(1, 255), name: z.string().min(1).max(64).optional() }).strict();
const trackName = z.string().min(1).max(32).optional();

const cruiseBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('addPoint'), group, preset: int(1, 255), name: trackName }).strict(),
  z.object({ action: z.literal('deletePoint'), group, preset: int(0, 255).describe('0 deletes the whole cruise'), name: trackName }).strict(),
  z.object({ action: z.literal('setSpeed'), group, speed: twelveBit }).strict(),
  z.object({ action: z.literal('setDwell'), group, seconds: twelveBit }).strict(),
  z.object({ action: z.literal('start'), group }).strict(),
  z.object({ action: z.literal('stop') }).strict(),
]);

const scanBody = z.discriminatedUnion('action', [
  z.object({ action: z.enum(['start', 'setLeft', 'setRight']), group }).strict(),
  z.object({ action: z.literal('setSpeed'), group, speed: twelveBit }).strict(),
  z.object({ action: z.literal('stop') }).strict(),
]);

const auxBody = z.object({ action: z.enum(['on', 'off']), switch: int(0, 255) }).strict();
const homeBody = z.object({ enabled: z.boolean(), resetTime: int(0, 86_400).optional(), presetIndex: int(0, 255).optional() }).strict();
const pixels = int(0, 65_535);
const dragZoomBody = z
  .object({ direction: z.enum(['in', 'out']), length: pixels, width: pixels, midPointX: pixels, midPointY: pixels, lengthX: pixels, lengthY: pixels })
  .strict();
const preciseBody = z
  .object({ pan: z.number().min(0).max(360).optional(), tilt: z.number().min(-90).max(90).optional(), zoom: z.number().positive().max(1000).optional() })
  .strict()
  .refine((b) => b.pan !== undefined || b.tilt !== undefined || b.zoom !== undefined, { message: 'give pan, tilt or zoom' });
const recordBody = z.object({ action: z.enum(['start', 'stop']), streamNumber: int(0, 9).optional() }).strict();
const iframeBody = z.object({ element: z.enum(['IFameCmd', 'IFrameCmd']).optional() }).strict();
const guardBody = z.object({ action: z.enum(['set', 'reset']), channelId: gbIdParam.optional() }).strict();
const alarmResetBody = z
  .object({
    channelId: gbIdParam.optional(),
    alarmMethod: z.string().regex(/^\d(\/\d)*$/, 'must be method digits such as "2" or "1/2"').optional(),
    alarmType: z.string().regex(/^\d{1,2}(\/\d{1,2})*$/, 'must be type numbers such as "1" or "2/5"').optional(),
  })
  .strict();
const configQuery = z.object({
  type: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const types = (v ?? 'BasicParam').split('/').map((t) => canonicalConfigType(t.trim()));
      const unknown = types.filter((t) => !(CONFIG_TYPES as readonly string[]).includes(t));
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown config type ${unknown.join(', ')} (known: ${CONFIG_TYPES.join(', ')})` });
      return types;
    }),
});
const configBody = z
  .object({
    name: z.string().min(1).max(64).optional(),
    expiration: int(30, 7 * 86_400).optional(),
    heartBeatInterval: int(5, 3600).optional(),
    heartBeatCount: int(1, 100).optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'give at least one of name, expiration, heartBeatInterval, heartBeatCount' });

/** 200 when the device confirmed with Result OK, 202 when it took the MESSAGE and the standard defines no further answer. */
function reply(ctx: Context, outcome: ControlOutcome): void {
  ctx.status = outcome.confirmed ? 200 : 202;
  ctx.body = outcome;
}

const channelOf = (ctx: Context) => gbIdParam.parse(ctx.params.channelId);
const deviceOf = (ctx: Context) => gbIdParam.parse(ctx.params.deviceId);

function cruiseCommand(b: z.infer<typeof cruiseBody>): PtzCommand {
  switch (b.action) {
    case 'addPoint':
    case 'deletePoint':
      return { kind: 'cruise', op: b.action, group: b.group, preset: b.preset };
    case 'setSpeed':
      return { kind: 'cruise', op: 'setSpeed', group: b.group, value: b.speed };
    case 'setDwell':
      return { kind: 'cruise', op: 'setDwell', group: b.group, value: b.seconds };
    case 'start':
      return { kind: 'cruise', op: 'start', group: b.group };
    case 'stop':
      return PTZ_STOP;
  }
}

function scanCommand(b: z.infer<typeof scanBody>): PtzCommand {
  if (b.action === 'stop') return PTZ_STOP;
  if (b.action === 'setSpeed') return { kind: 'scan', op: 'setSpeed', group: b.group, value: b.speed };
  return { kind: 'scan', op: b.action, group: b.group };
}

/** PTZ and the other DeviceControl commands on channels; reboot, guard, alarm reset and configuration on devices. */
export function controlRoutes(control: DeviceControlService): Router {
  const router = new Router();

  router.post('/channels/:channelId/ptz', async (ctx) => {
    const id = channelOf(ctx);
    const b = ptzBody.parse(await readJson(ctx));
    reply(ctx, await control.ptz(id, ptzActionCommand(b.action, b.speed)));
  });

  router.get('/channels/:channelId/presets', async (ctx) => {
    ctx.body = await control.presets(channelOf(ctx));
  });

  router.post('/channels/:channelId/presets', async (ctx) => {
    const id = channelOf(ctx);
    const b = presetBody.parse(await readJson(ctx));
    reply(ctx, await control.ptz(id, { kind: 'preset', op: 'set', preset: b.id }, defined({ presetName: b.name })));
  });

  router.post('/channels/:channelId/presets/:presetId/call', async (ctx) => {
    reply(ctx, await control.ptz(channelOf(ctx), { kind: 'preset', op: 'call', preset: presetId.parse(ctx.params.presetId) }));
  });

  router.delete('/channels/:channelId/presets/:presetId', async (ctx) => {
    reply(ctx, await control.ptz(channelOf(ctx), { kind: 'preset', op: 'delete', preset: presetId.parse(ctx.params.presetId) }));
  });

  router.post('/channels/:channelId/cruise', async (ctx) => {
    const id = channelOf(ctx);
    const b = cruiseBody.parse(await readJson(ctx));
    const name = 'name' in b ? b.name : undefined;
    reply(ctx, await control.ptz(id, cruiseCommand(b), defined({ cruiseTrackName: name })));
  });

  router.post('/channels/:channelId/scan', async (ctx) => {
    const id = channelOf(ctx);
    reply(ctx, await control.ptz(id, scanCommand(scanBody.parse(await readJson(ctx)))));
  });

  router.post('/channels/:channelId/aux', async (ctx) => {
    const id = channelOf(ctx);
    const b = auxBody.parse(await readJson(ctx));
    reply(ctx, await control.ptz(id, { kind: 'aux', op: b.action, switchNo: b.switch }));
  });

  router.post('/channels/:channelId/home-position', async (ctx) => {
    const id = channelOf(ctx);
    reply(ctx, await control.homePosition(id, defined(homeBody.parse(await readJson(ctx)))));
  });

  router.post('/channels/:channelId/drag-zoom', async (ctx) => {
    const id = channelOf(ctx);
    const { direction, ...box } = dragZoomBody.parse(await readJson(ctx));
    reply(ctx, await control.dragZoom(id, direction === 'in', box));
  });

  router.post('/channels/:channelId/ptz-position', async (ctx) => {
    const id = channelOf(ctx);
    reply(ctx, await control.precisePosition(id, defined(preciseBody.parse(await readJson(ctx)))));
  });

  router.post('/channels/:channelId/record', async (ctx) => {
    const id = channelOf(ctx);
    const b = recordBody.parse(await readJson(ctx));
    reply(ctx, await control.record(id, b.action === 'start', b.streamNumber));
  });

  router.post('/channels/:channelId/iframe', async (ctx) => {
    const id = channelOf(ctx);
    reply(ctx, await control.iframe(id, iframeBody.parse(await readJson(ctx)).element));
  });

  router.post('/devices/:deviceId/reboot', async (ctx) => {
    const id = deviceOf(ctx);
    z.object({}).strict().parse(await readJson(ctx));
    reply(ctx, await control.reboot(id));
  });

  router.post('/devices/:deviceId/guard', async (ctx) => {
    const id = deviceOf(ctx);
    const b = guardBody.parse(await readJson(ctx));
    reply(ctx, await control.guard(id, b.action === 'set', b.channelId));
  });

  router.post('/devices/:deviceId/alarm-reset', async (ctx) => {
    const id = deviceOf(ctx);
    const { channelId, ...info } = alarmResetBody.parse(await readJson(ctx));
    reply(ctx, await control.alarmReset(id, defined(info), channelId));
  });

  router.get('/devices/:deviceId/config', async (ctx) => {
    const id = deviceOf(ctx);
    ctx.body = await control.config(id, configQuery.parse(ctx.query).type);
  });

  router.patch('/devices/:deviceId/config', async (ctx) => {
    const id = deviceOf(ctx);
    const b = configBody.parse(await readJson(ctx));
    ctx.body = await control.configure(id, defined(b));
  });

  return router;
}
