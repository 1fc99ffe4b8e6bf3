import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Router } from '@koa/router';
import { join } from 'node:path';
import { sipDomain, type Config } from '../config';
import { createApiApp, listenHttp } from './api/http-server';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { SipServer } from './sip/sip-server';
import { createHmac } from 'node:crypto';
import type { MediaNode } from './media/node/types';
import type { MediaNodeOptions } from './media/node/options';
import { LocalMediaNode } from './media/node/local-media-node';
import { WorkerMediaNode } from './media/node/worker-media-node';
import { MediaPortPool, SsrcAllocator, ssrcRealmDigits } from './media/ports';
import { createUrlTokenSigner } from './media/access/url-token';
import { playbackUrls } from './media/access/playback-urls';
import { LiveStreams } from './sip/play/live-streams';
import { DeviceControlService } from './sip/control';
import { CascadeMediaService } from './cascade/media';
import { CascadeService, configuredUppers, createUpperStore } from './cascade';
import { cascadeAlarmOf } from './cascade/alarm-notify';
import { createFootageServices, type FootageServices } from './recording/footage-services';
import { createSnapshotService } from './snapshots/compose';
import type { SnapshotService } from './snapshots/snapshot-service';
import { createBroadcastService } from './sip/broadcast/compose';
import type { BroadcastService } from './sip/broadcast/broadcast-service';
import { childText } from './sip/manscdp/xml';
import { advertisedAddress } from './sip/advertised-address';
import { createIndexStore, createStateStore } from './storage/factory';
import { createPlatformEvents } from './events/setup';
import type { EventHub } from './events/event-hub';
import { createDeviceEvents } from './alarms/setup';
import type { AlarmService } from './alarms/alarm-service';
import type { DeviceSubscriptions } from './alarms/subscriptions';
import { createDistrictAccounting, type DistrictAccounting } from './operations/accounting/district-accounting';
import type { IndexStore, StateStore } from './storage/ports';
import { startOperationsEvents, type OperationsEvents } from './operations/doors/operations-events';
import { watchlistAlarm } from './operations/watchlist/cascade-alarm';

/** Everything the composition root starts; App exposes each part to tests and main. */
export interface AppParts {
  config: Config;
  logger: Logger;
  index: IndexStore;
  state: StateStore;
  sip: SipServer;
  media: MediaNode;
  live: LiveStreams;
  /** Recording plans, retention, playback of recordings, exports. */
  footage: FootageServices;
  http: Server;
  apiToken: string;
  metrics: Metrics;
  /** The /api/v1 routes (the OpenAPI test compares them with the document). */
  routes: Router;
  /** Answers an upper platform's INVITE and sends PS over RTP to it (cascade signaling calls handleInvite). */
  cascadeMedia: CascadeMediaService;
  /** Buildings (the BuildingDirectory of district operations), maintenance windows, online-rate accounting. */
  district: DistrictAccounting;
  /** Snapshots of channels and voice broadcast to devices. */
  mediaControl: { snapshots: SnapshotService; broadcast: BroadcastService };
  /** Upper platforms: registration, their queries and subscriptions, alarms sent upward (forwardAlarm). */
  cascade: CascadeService;
  /** Platform events: publish here (alarms, faults, link changes); SSE clients and webhooks get them. */
  events: EventHub;
  /** Device alarms: emits 'alarm' with every stored alarm (door records, cascade forwarding). */
  alarms: AlarmService;
  /** Alarm, catalog and mobile-position subscriptions to devices. */
  subscriptions: DeviceSubscriptions;
  /** Fault tickets, door-entry records, watchlist alerts, remote door opening, audit log (ADR 0015). */
  operationsEvents: OperationsEvents;
}

/**
 * Closes what has started, newest first: App.stop and a start that fails halfway both use it, so
 * a failed start never leaves sockets or workers behind.
 */
class Closers {
  private readonly list: Array<{ name: string; close: () => unknown }> = [];

  add(name: string, close: () => unknown): void {
    this.list.push({ name, close });
  }

  async closeAll(logger: Logger): Promise<void> {
    while (this.list.length > 0) {
      const { name, close } = this.list.pop()!;
      try {
        await close();
      } catch (err) {
        logger.error({ err, part: name }, 'closing failed');
      }
    }
  }
}

/**
 * Composition root: config -> storage -> events -> SIP -> media -> services -> API. The only place
 * that picks adapters.
 */
export class App implements AppParts {
  private stopped = false;
  readonly config: Config;
  readonly logger: Logger;
  readonly index: IndexStore;
  readonly state: StateStore;
  readonly sip: SipServer;
  readonly media: MediaNode;
  readonly live: LiveStreams;
  readonly footage: FootageServices;
  readonly http: Server;
  readonly apiToken: string;
  readonly metrics: Metrics;
  readonly routes: Router;
  readonly cascadeMedia: CascadeMediaService;
  readonly district: DistrictAccounting;
  readonly mediaControl: { snapshots: SnapshotService; broadcast: BroadcastService };
  readonly cascade: CascadeService;
  readonly events: EventHub;
  readonly alarms: AlarmService;
  readonly subscriptions: DeviceSubscriptions;
  readonly operationsEvents: OperationsEvents;

  private constructor(
    parts: AppParts,
    private readonly closers: Closers,
  ) {
    this.config = parts.config;
    this.logger = parts.logger;
    this.index = parts.index;
    this.state = parts.state;
    this.sip = parts.sip;
    this.media = parts.media;
    this.live = parts.live;
    this.footage = parts.footage;
    this.http = parts.http;
    this.apiToken = parts.apiToken;
    this.metrics = parts.metrics;
    this.routes = parts.routes;
    this.cascadeMedia = parts.cascadeMedia;
    this.district = parts.district;
    this.mediaControl = parts.mediaControl;
    this.cascade = parts.cascade;
    this.events = parts.events;
    this.alarms = parts.alarms;
    this.subscriptions = parts.subscriptions;
    this.operationsEvents = parts.operationsEvents;
  }

  static async start(config: Config, options: { logger?: Logger } = {}): Promise<App> {
    const logger = options.logger ?? createLogger({ level: config.log.level });
    const closers = new Closers();
    try {
      return await App.compose(config, logger, closers);
    } catch (err) {
      await closers.closeAll(logger);
      throw err;
    }
  }

  private static async compose(config: Config, logger: Logger, closers: Closers): Promise<App> {
    mkdirSync(config.dataDir, { recursive: true });
    const apiToken = config.http.apiToken ?? ensureTokenFile(config.dataDir, logger);

    const index = await createIndexStore({ mongoUrl: config.mongoUrl, sqlitePath: join(config.dataDir, 'index.sqlite'), logger });
    await index.init();
    closers.add('index store', () => index.close());
    const state = await createStateStore({ redisUrl: config.redisUrl, logger });
    await state.init();
    closers.add('state store', () => state.close());
    logger.info({ index: index.kind, state: state.kind }, 'storage ready');
    // The event hub (SSE, signed webhooks) first: every later service may publish through it.
    const events = await createPlatformEvents(config, index, logger);
    closers.add('platform events', () => events.close());
    // Buildings, maintenance windows and online-rate accounting: tables in the index database.
    const district = await createDistrictAccounting(index, config);

    const metrics = new Metrics();
    const sip = await SipServer.start(config, { index, state, logger, metrics });
    closers.add('SIP', () => sip.close());
    const urlSecret = config.live.urlSecret ?? createHmac('sha256', apiToken).update('gbvms playback URLs').digest('base64url');
    const media = await startMediaNode(config, urlSecret, logger);
    closers.add('media node', () => media.close());
    const leaseTtlMs = 60000;
    // One pool of RTP ports for every service that receives or sends media (live, broadcast, cascade).
    const ports = new MediaPortPool({ state, nodeId: config.nodeId, host: config.media.host, range: { min: config.media.rtpPortMin, max: config.media.rtpPortMax }, leaseTtlMs });
    const live = new LiveStreams(
      sip.endpoint,
      sip.messenger,
      index,
      media,
      ports,
      new SsrcAllocator({ state, nodeId: config.nodeId, leaseTtlMs }),
      logger.child({ module: 'live' }),
      {
        platform: sip.platform,
        mediaAddress: config.media.advertisedHost ?? config.sip.advertisedHost ?? advertisedAddress(config.media.host),
        realmDigits: ssrcRealmDigits(sipDomain(config)),
        defaultTransport: config.live.transport,
        inviteTimeoutMs: config.live.inviteTimeoutMs,
        readyTimeoutMs: config.live.readyTimeoutMs,
        idleStopMs: config.live.idleStopSec * 1000,
        leaseTtlMs,
      },
      { onStart: (outcome) => metrics.liveStarts.inc({ outcome }), onEnd: (reason) => metrics.liveEnds.inc({ reason }) },
    );
    closers.add('live streams', () => live.close());
    sip.router.on('notify', (deviceId, doc) => {
      if (doc.cmdType === 'MediaStatus') live.onMediaStatus(doc.deviceId ?? deviceId, childText(doc.element, 'NotifyType') ?? '');
    });
    const signer = config.live.requireToken ? createUrlTokenSigner(urlSecret) : null;
    const urls = (streamId: string, requestHost: string) =>
      playbackUrls(streamId, {
        host: config.media.publicHost ?? requestHost,
        httpPort: media.endpoints.httpPort,
        rtspPort: media.endpoints.rtspPort,
        signer,
        ttlSec: config.live.urlTokenTtlSec,
      });
    const footage = await createFootageServices(config, { index, live, media, logger, onDeviceOnline: (listener) => sip.presence.on('online', (deviceId) => listener(deviceId)) });
    closers.add('footage services', () => footage.close());
    const { recordings, retention, playback, exports } = footage;
    // Alarms, positions and catalog changes from devices, and the subscriptions asking for them.
    const deviceEvents = await createDeviceEvents(config, { index, sip, publisher: events.hub, logger });
    closers.add('device event services', () => deviceEvents.close());
    // Snapshots (device upload or a frame of the live stream) and voice broadcast (device INVITEs our audio source).
    let httpRef: Server | null = null;
    // The media node's own address, as seen from this machine (FFmpeg reads our outputs there).
    const mediaHostHere = config.media.host === '0.0.0.0' || config.media.host === '::' ? '127.0.0.1' : config.media.host;
    const snapshots = await createSnapshotService(config, {
      index,
      messenger: sip.messenger,
      pending: sip.pending,
      playLive: (channelId) => live.play(channelId),
      streamUrl: (streamId) => playbackUrls(streamId, { host: mediaHostHere, httpPort: media.endpoints.httpPort, rtspPort: media.endpoints.rtspPort, signer, ttlSec: 600 }).httpFlv,
      uploadBase: () => {
        if (config.snapshots.uploadBaseUrl) return config.snapshots.uploadBaseUrl.replace(/\/+$/, '');
        const bound = httpRef?.address();
        const port = typeof bound === 'object' && bound ? bound.port : config.http.port;
        const host = config.sip.advertisedHost ?? advertisedAddress(config.http.host);
        return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      },
      logger: logger.child({ module: 'snapshots' }),
    });
    closers.add('snapshots', () => snapshots.close());
    const broadcast = await createBroadcastService(config, {
      endpoint: sip.endpoint,
      messenger: sip.messenger,
      pending: sip.pending,
      ports,
      mediaAddress: config.media.advertisedHost ?? config.sip.advertisedHost ?? advertisedAddress(config.media.host),
      leaseTtlMs,
      logger: logger.child({ module: 'broadcast' }),
    });
    closers.add('broadcast', () => broadcast.close());
    sip.addRequestHandler(broadcast.handleRequest, ['INVITE']);
    sip.router.on('notify', (deviceId, doc) => snapshots.onNotify(deviceId, doc));
    const mediaControl = { snapshots, broadcast };
    const cascadeMedia = new CascadeMediaService({
      endpoint: sip.endpoint,
      platform: sip.platform,
      live,
      media,
      index,
      footage,
      ports,
      logger: logger.child({ module: 'cascade-media' }),
      options: {
        mediaAddress: config.media.advertisedHost ?? config.sip.advertisedHost ?? advertisedAddress(config.media.host),
        realmDigits: ssrcRealmDigits(sipDomain(config)),
        leaseTtlMs,
      },
    });
    closers.add('cascade media', () => cascadeMedia.close());
    sip.router.on('notify', (deviceId, doc) => {
      if (doc.cmdType === 'MediaStatus') cascadeMedia.onDeviceMediaStatus(doc.deviceId ?? deviceId, childText(doc.element, 'NotifyType') ?? '');
    });
    // Cascade signaling: registration with upper platforms, their queries, SUBSCRIBE and INVITE (handed to cascadeMedia).
    const cascade = await CascadeService.start(
      {
        sip,
        index,
        store: await createUpperStore(index),
        logger: logger.child({ module: 'cascade' }),
        timeZone: config.timezone,
        link: { retryMinMs: config.cascade.retryMinMs, retryMaxMs: config.cascade.retryMaxMs, requestTimeoutMs: config.cascade.requestTimeoutMs },
        controlTimeoutMs: config.catalog.queryTimeoutMs,
        metrics,
        media: cascadeMedia,
        events: events.hub,
      },
      configuredUppers(config),
    );
    closers.add('cascade', () => cascade.close());
    // PTZ and the other DeviceControl/DeviceConfig commands: answers come back through the SIP server's pending queries.
    const control = new DeviceControlService(sip.messenger, sip.pending, index, logger.child({ module: 'control' }), {
      responseTimeoutMs: config.catalog.queryTimeoutMs,
      listTimeoutMs: config.catalog.timeoutMs,
    });
    // Fault tickets (from presence), door records (from door hosts' alarms), watchlist, remote door opening.
    const operationsEvents = await startOperationsEvents({
      config, index, sip, buildings: district.buildingStore, events: events.hub, apiToken, logger,
      forwardAlarmUpward: async (alert) => (await cascade.forwardAlarm(watchlistAlarm(alert))) > 0,
      alarms: deviceEvents.alarms,
    });
    closers.add('district operations', () => operationsEvents.close());
    // Device alarms go up to the upper platforms that share their channel (cascade).
    deviceEvents.alarms.on('alarm', (alarm) => {
      cascade.forwardAlarm(cascadeAlarmOf(alarm)).catch((err: unknown) => logger.warn({ err, alarmId: alarm.id }, 'alarm not forwarded upward'));
    });
    const { app, api } = createApiApp({
      operationsEvents,
      events: { hub: events.hub, webhooks: events.webhooks, alarms: deviceEvents.alarms, positions: deviceEvents.positions, subscriptions: deviceEvents.subscriptions, heartbeatMs: config.events.sseHeartbeatSec * 1000, logger: logger.child({ module: 'events' }) },
      accounting: district,
      cascade,
      devices: sip.devices,
      control,
      recordings: { service: recordings, index, retention },
      exports,
      snapshots,
      broadcast: { service: broadcast, maxUploadBytes: config.broadcast.maxUploadBytes },
      streams: {
        live,
        urls,
        saveDownload: (channelId, streamId, from, to) => {
          const url = playbackUrls(streamId, { host: mediaHostHere, httpPort: media.endpoints.httpPort, rtspPort: media.endpoints.rtspPort, signer, ttlSec: 86_400 }).httpFlv;
          return exports.create({ channelId, from, to, source: { kind: 'stream', url, streamId } }).id;
        },
      },
      playback: { playback, urls },
      metrics,
      logger: logger.child({ module: 'api' }),
      apiToken,
      health: async () => {
        const problems: Record<string, string> = {};
        try {
          await state.countRegistrations();
        } catch (err) {
          problems.state = (err as Error).message;
        }
        try {
          await index.listDevices({ offset: 0, limit: 1 });
        } catch (err) {
          problems.index = (err as Error).message;
        }
        return problems;
      },
      beforeMetrics: async () => {
        metrics.devicesOnline.set((await index.listDevices({ online: true, offset: 0, limit: 1 })).total);
        metrics.devicesRegistered.set(await state.countRegistrations());
        metrics.liveStreams.set(live.size);
        // A media worker restarting after a crash cannot answer; the RTP counters keep their last values.
        metrics.setRtpTotals(await media.rtpTotals().catch(() => null));
      },
    });
    const http = await listenHttp(app, config.http.host, config.http.port);
    closers.add('HTTP server', async () => {
      // SSE streams and webhook deliveries end first, so that the HTTP server can close.
      events.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    });
    httpRef = http;
    snapshots.start();
    await footage.start();
    const address = http.address();
    logger.info({ host: config.http.host, port: typeof address === 'object' && address ? address.port : config.http.port }, 'HTTP API listening');
    return new App(
      {
        config, logger, index, state, sip, media, live, footage, http, apiToken, metrics, routes: api, cascadeMedia, district, mediaControl, cascade,
        events: events.hub, alarms: deviceEvents.alarms, subscriptions: deviceEvents.subscriptions, operationsEvents,
      },
      closers,
    );
  }

  get httpPort(): number {
    const address = this.http.address();
    return typeof address === 'object' && address ? address.port : this.config.http.port;
  }

  get sipPort(): number {
    return this.sip.port;
  }

  /** Graceful stop: closes sockets, then flushes and closes the stores. Registrations are left alone. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.logger.info('stopping');
    await this.closers.closeAll(this.logger);
    this.logger.info('stopped');
  }
}

/** The media node: in a worker thread (the default) or on this thread. */
async function startMediaNode(config: Config, urlSecret: string, logger: Logger): Promise<MediaNode> {
  const options: MediaNodeOptions = {
    host: config.media.host,
    httpPort: config.media.httpPort,
    rtspPort: config.media.rtspPort,
    udpReceiveBufferBytes: config.media.udpReceiveBufferBytes,
    nativeRtp: config.media.nativeRtp,
    nativeBatchMs: config.media.nativeBatchMs,
    nativeFlvRelay: config.media.nativeFlvRelay,
    ssrcPolicy: config.media.ssrcPolicy,
    rtpTimeoutMs: config.live.rtpTimeoutSec * 1000,
    // A playback gets at least 10 s for its first viewer to connect.
    playbackIdleMs: Math.max(10, config.live.idleStopSec) * 1000,
    urlSecret: config.live.requireToken ? urlSecret : null,
    logLevel: logger.level as MediaNodeOptions['logLevel'],
  };
  const node = config.media.worker ? await WorkerMediaNode.start(options, logger) : await LocalMediaNode.start(options, logger.child({ module: 'media' }));
  logger.info({ host: config.media.host, ...node.endpoints, worker: config.media.worker }, 'media node listening (HTTP-FLV/WS-FLV/HLS, RTSP)');
  return node;
}

/** Without a configured token, one is generated once and kept in the data folder for the operator to read. */
function ensureTokenFile(dataDir: string, logger: Logger): string {
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  logger.warn({ file }, 'GBVMS_API_TOKEN not set: generated an API token and wrote it to this file');
  return token;
}
