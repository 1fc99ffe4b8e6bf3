import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config';
import { App } from '../../src/app';
import { silentLogger, createLogger } from '../../src/logger';

export const PLATFORM_ID = '34020000002000000001';
export const PLATFORM_DOMAIN = '3402000000';
export const API_TOKEN = 'test-token-0123456789';

export interface TestServer {
  app: App;
  sipPort: number;
  httpPort: number;
  dataDir: string;
  /** fetch against the API with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts the real server (SQLite index under a temp folder, in-process state unless overridden)
 * on free loopback ports. `overrides` are option paths, as in loadConfig.
 */
export async function startTestServer(overrides: Record<string, unknown> = {}, options: { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gbvms-test-'));
  const config = loadConfig(
    {},
    {
      dataDir,
      'sip.id': PLATFORM_ID,
      'sip.domain': PLATFORM_DOMAIN,
      'sip.host': '127.0.0.1',
      'sip.port': 0,
      'sip.password': '12345678',
      'sip.nonceSecret': 'test-nonce-secret-0123456789',
      'sip.t1Ms': 50,
      'sip.transactionTimeoutMs': 2000,
      'http.host': '127.0.0.1',
      'http.port': 0,
      'http.apiToken': API_TOKEN,
      'catalog.timeoutMs': 3000,
      'catalog.queryTimeoutMs': 3000,
      'keepalive.sweepIntervalMs': 100,
      'media.host': '127.0.0.1',
      'media.httpPort': 0,
      'media.rtspPort': 0,
      ...overrides,
    },
  );
  const logger = process.env.GBVMS_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger();
  const app = await App.start(config, { logger });
  const httpPort = app.httpPort;
  return {
    app,
    sipPort: app.sipPort,
    httpPort,
    dataDir,
    api: (path, init = {}) =>
      fetch(`http://127.0.0.1:${httpPort}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
      }),
    stop: async ({ keepData = false } = {}) => {
      await app.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
