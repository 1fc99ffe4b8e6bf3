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
import { createFootageServices, type FootageServices } from './recording/footage-services';
import { childText } from './sip/manscdp/xml';
import { advertisedAddress } from './sip/advertised-address';
import { createIndexStore, createStateStore } from './storage/factory';
import type { IndexStore, StateStore } from './storage/ports';

/**
 * Composition root: config -> storage -> SIP -> API. The only place that picks adapters.
 */
export class App {
  private stopped = false;

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly index: IndexStore,
    readonly state: StateStore,
    readonly sip: SipServer,
    readonly media: MediaNode,
    readonly live: LiveStreams,
    /** Recording plans, retention, playback of recordings, exports. */
    readonly footage: FootageServices,
    readonly http: Server,
    readonly apiToken: string,
    readonly metrics: Metrics,
    /** The /api/v1 routes (the OpenAPI test compares them with the document). */
    readonly routes: Router,
  ) {}

  static async start(config: Config, options: { logger?: Logger } = {}): Promise<App> {
    const logger = options.logger ?? createLogger({ level: config.log.level });
    mkdirSync(config.dataDir, { recursive: true });
    const apiToken = config.http.apiToken ?? ensureTokenFile(config.dataDir, logger);

    const index = await createIndexStore({ mongoUrl: config.mongoUrl, sqlitePath: join(config.dataDir, 'index.sqlite'), logger });
    await index.init();
    const state = await createStateStore({ redisUrl: config.redisUrl, logger });
    await state.init();
    logger.info({ index: index.kind, state: state.kind }, 'storage ready');

    const metrics = new Metrics();
    let sip: SipServer;
    try {
      sip = await SipServer.start(config, { index, state, logger, metrics });
    } catch (err) {
      await state.close();
      await index.close();
      throw err;
    }
    const urlSecret = config.live.urlSecret ?? createHmac('sha256', apiToken).update('gbvms playback URLs').digest('base64url');
    let media: MediaNode;
    try {
      media = await startMediaNode(config, urlSecret, logger);
    } catch (err) {
      await sip.close();
      await state.close();
      await index.close();
      throw err;
    }
    const leaseTtlMs = 60000;
    const live = new LiveStreams(
      sip.endpoint,
      sip.messenger,
      index,
      media,
      new MediaPortPool({ state, nodeId: config.nodeId, host: config.media.host, range: { min: config.media.rtpPortMin, max: config.media.rtpPortMax }, leaseTtlMs }),
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
    const { recordings, retention, playback, exports } = footage;
    const { app, api } = createApiApp({
      devices: sip.devices,
      recordings: { service: recordings, index, retention },
      exports,
      streams: {
        live,
        urls,
        saveDownload: (channelId, streamId, from, to) => {
          // The media node's own address, as seen from this machine.
          const host = config.media.host === '0.0.0.0' || config.media.host === '::' ? '127.0.0.1' : config.media.host;
          const url = playbackUrls(streamId, { host, httpPort: media.endpoints.httpPort, rtspPort: media.endpoints.rtspPort, signer, ttlSec: 86_400 }).httpFlv;
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
      },
    });
    let http: Server;
    try {
      http = await listenHttp(app, config.http.host, config.http.port);
    } catch (err) {
      await footage.close();
      await live.close();
      await sip.close();
      await media.close();
      await state.close();
      await index.close();
      throw err;
    }
    await footage.start();
    const address = http.address();
    logger.info({ host: config.http.host, port: typeof address === 'object' && address ? address.port : config.http.port }, 'HTTP API listening');
    return new App(config, logger, index, state, sip, media, live, footage, http, apiToken, metrics, api);
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
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await this.footage.close();
    await this.live.close();
    await this.sip.close();
    await this.media.close();
    await this.state.close();
    await this.index.close();
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
