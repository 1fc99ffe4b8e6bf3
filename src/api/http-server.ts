import { createServer, type Server } from 'node:http';
import { Router } from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DeviceService } from '../sip/device/device-service';
import { bearerAuth } from './auth';
import { errorMiddleware } from './errors';
import { openApiDocument } from './openapi';
import { deviceRoutes } from './routes/devices';
import { devicePlaybackRoutes, streamRoutes, type StreamRouteDeps } from './routes/streams';
import { recordingRoutes, type RecordingRouteDeps } from './routes/recordings';
import { exportRoutes } from './routes/exports';
import { playbackRoutes, type PlaybackRouteDeps } from './routes/playback';
import type { ExportJobs } from '../media/export/export-jobs';

export interface ApiDeps {
  devices: DeviceService;
  streams: StreamRouteDeps;
  recordings: RecordingRouteDeps;
  exports: ExportJobs;
  playback: PlaybackRouteDeps;
  metrics: Metrics;
  logger: Logger;
  apiToken: string;
  /** Returns problems that make the node unhealthy (empty when healthy). */
  health: () => Promise<Record<string, string>>;
  /** Refreshes gauges before /metrics is read. */
  beforeMetrics?: () => Promise<void>;
}

/** The koa application: /healthz, /metrics, and the authenticated /api/v1. */
export function createApiApp(deps: ApiDeps): { app: Koa; api: Router } {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  app.use(errorMiddleware(deps.logger));

  const root = new Router();
  root.get('/healthz', async (ctx) => {
    const problems = await deps.health();
    const ok = Object.keys(problems).length === 0;
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ok' : 'degraded', problems };
  });
  root.get('/metrics', async (ctx) => {
    await deps.beforeMetrics?.();
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  root.get('/api/v1/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });

  const api = new Router({ prefix: '/api/v1' });
  api.use(bearerAuth(deps.apiToken));
  // One router holding every resource's routes, so the OpenAPI test sees them all in one stack.
  const routes = new Router();
  routes.use(deviceRoutes(deps.devices).routes());
  routes.use(streamRoutes(deps.streams).routes());
  routes.use(devicePlaybackRoutes(deps.streams).routes());
  routes.use(recordingRoutes(deps.recordings).routes());
  routes.use(exportRoutes(deps.exports).routes());
  routes.use(playbackRoutes(deps.playback).routes());
  api.use(routes.routes(), routes.allowedMethods());

  app.use(root.routes()).use(root.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return { app, api: routes };
}

export async function listenHttp(app: Koa, host: string, port: number): Promise<Server> {
  const server = createServer(app.callback());
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
