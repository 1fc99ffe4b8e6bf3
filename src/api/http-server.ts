import { createServer, type Server } from 'node:http';
import { Router } from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DeviceService } from '../sip/device/device-service';
import { bearerAuth } from './auth';
import { eventStreamTokens, withEventStreamToken } from './event-stream-token';
import { actionTrail } from '../operations/audit/action-trail';
import { errorMiddleware } from './errors';
import { openApiDocument } from './openapi';
import { deviceRoutes } from './routes/devices';
import { devicePlaybackRoutes, streamRoutes, type StreamRouteDeps } from './routes/streams';
import { recordingRoutes, type RecordingRouteDeps } from './routes/recordings';
import { exportRoutes } from './routes/exports';
import { playbackRoutes, type PlaybackRouteDeps } from './routes/playback';
import type { ExportJobs } from '../media/export/export-jobs';
import type { DistrictAccounting } from '../operations/accounting/district-accounting';
import { buildingRoutes } from './routes/buildings';
import { maintenanceRoutes } from './routes/maintenance';
import { reportRoutes } from './routes/reports';
import type { DeviceControlService } from '../sip/control';
import { controlRoutes } from './routes/control';
import type { SnapshotService } from '../snapshots/snapshot-service';
import { snapshotRoutes, snapshotUploadRoutes } from './routes/snapshots';
import { broadcastRoutes, type BroadcastRouteDeps } from './routes/broadcast';
import type { CascadeService } from '../cascade';
import { upperRoutes } from './routes/uppers';
import { eventRoutes, type EventRouteDeps } from './routes/events';
import type { OperationsEvents } from '../operations/doors/operations-events';
import { faultRoutes } from './routes/faults';
import { doorEventRoutes } from './routes/door-events';
import { watchlistRoutes } from './routes/watchlist';
import { auditRoutes } from './routes/audit';
import { doorOpenRoutes } from './routes/door-open';

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
  /** PTZ, presets and the other DeviceControl / DeviceConfig commands. */
  control?: DeviceControlService;
  /** Pictures of channels (and the devices' upload URL outside /api/v1). */
  snapshots?: SnapshotService;
  /** Voice broadcast to devices. */
  broadcast?: BroadcastRouteDeps;
  /** Buildings, maintenance windows, online-rate reports and the monthly settlement (district operations). */
  accounting?: DistrictAccounting;
  /** Upper platforms (cascade). */
  cascade?: CascadeService;
  /** Platform events (SSE, webhooks), alarms, positions and device subscriptions. */
  events?: EventRouteDeps;
  /** Fault tickets, door-entry records, watchlist, audit log, remote door opening; its token check (with roles) replaces the plain one. */
  operationsEvents?: OperationsEvents;
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
  // Devices upload snapshots here with the per-request token of the URL, not the API token.
  if (deps.snapshots) root.use(snapshotUploadRoutes(deps.snapshots).routes());

  const api = new Router({ prefix: '/api/v1' });
  const streamTokens = eventStreamTokens(deps.apiToken);
  api.use(withEventStreamToken(streamTokens, deps.operationsEvents?.auth ?? bearerAuth(deps.apiToken)));
  if (deps.operationsEvents) api.use(actionTrail(deps.operationsEvents.audit));
  // One router holding every resource's routes, so the OpenAPI test sees them all in one stack.
  const routes = new Router();
  routes.use(deviceRoutes(deps.devices).routes());
  routes.use(streamRoutes(deps.streams).routes());
  routes.use(devicePlaybackRoutes(deps.streams).routes());
  routes.use(recordingRoutes(deps.recordings).routes());
  routes.use(exportRoutes(deps.exports).routes());
  routes.use(playbackRoutes(deps.playback).routes());
  if (deps.snapshots) routes.use(snapshotRoutes(deps.snapshots).routes());
  if (deps.broadcast) routes.use(broadcastRoutes(deps.broadcast).routes());
  if (deps.control) routes.use(controlRoutes(deps.control).routes());
  if (deps.cascade) routes.use(upperRoutes(deps.cascade).routes());
  if (deps.events) routes.use(eventRoutes(deps.events, streamTokens).routes());
  if (deps.accounting) {
    routes.use(buildingRoutes(deps.accounting.buildings).routes());
    routes.use(maintenanceRoutes(deps.accounting.maintenance).routes());
    routes.use(reportRoutes(deps.accounting.accounting).routes());
  }
  if (deps.operationsEvents) {
    const ops = deps.operationsEvents;
    routes.use(faultRoutes(ops.faults).routes());
    routes.use(doorEventRoutes({ doors: ops.doors, audit: ops.audit }).routes());
    routes.use(watchlistRoutes({ watchlist: ops.watchlist, audit: ops.audit }).routes());
    routes.use(auditRoutes(ops.auditStore).routes());
    routes.use(doorOpenRoutes(ops.opener).routes());
  }
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
