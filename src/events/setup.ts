import type { Config } from '../../config';
import type { Logger } from '../logger';
import type { IndexStore } from '../storage/ports';
import type { MongoIndexStore } from '../storage/mongo/index-store';
import type { SqliteIndexStore } from '../storage/sqlite/index-store';
import { EventHub } from './event-hub';
import type { WebhookStore } from './store/port';
import { Webhooks } from './webhooks';

export interface PlatformEventServices {
  hub: EventHub;
  webhooks: Webhooks;
  /** Stops webhook delivery and ends every SSE stream. */
  close(): void;
}

/** The webhook store on the index store's database (adapters chosen by its kind). */
export async function createWebhookStore(index: IndexStore): Promise<WebhookStore> {
  if (index.kind === 'mongodb') {
    const { MongoWebhookStore } = await import('./store/mongo');
    return new MongoWebhookStore((index as MongoIndexStore).mongoConnection());
  }
  const { SqliteWebhookStore } = await import('./store/sqlite');
  return new SqliteWebhookStore((index as SqliteIndexStore).database());
}

/** The event hub and webhook delivery, started. */
export async function createPlatformEvents(config: Config, index: IndexStore, logger: Logger): Promise<PlatformEventServices> {
  const log = logger.child({ module: 'events' });
  const hub = new EventHub({ ringSize: config.events.ringSize, logger: log });
  const webhooks = new Webhooks(
    hub,
    await createWebhookStore(index),
    {
      attempts: config.events.webhookAttempts,
      backoffMs: config.events.webhookBackoffMs,
      maxBackoffMs: config.events.webhookMaxBackoffMs,
      timeoutMs: config.events.webhookTimeoutMs,
      queueLimit: config.events.webhookQueueLimit,
      reloadMs: 30_000,
    },
    log,
  );
  await webhooks.start();
  return {
    hub,
    webhooks,
    close: () => {
      webhooks.close();
      hub.close();
    },
  };
}
