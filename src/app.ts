import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Router } from '@koa/router';
import { join } from 'node:path';
import type { Config } from '../config';
import { createApiApp, listenHttp } from './api/http-server';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { SipServer } from './sip/sip-server';
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
    const { app, api } = createApiApp({
      devices: sip.devices,
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
      },
    });
    let http: Server;
    try {
      http = await listenHttp(app, config.http.host, config.http.port);
    } catch (err) {
      await sip.close();
      await state.close();
      await index.close();
      throw err;
    }
    const address = http.address();
    logger.info({ host: config.http.host, port: typeof address === 'object' && address ? address.port : config.http.port }, 'HTTP API listening');
    return new App(config, logger, index, state, sip, http, apiToken, metrics, api);
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
    await this.sip.close();
    await this.state.close();
    await this.index.close();
    this.logger.info('stopped');
  }
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
