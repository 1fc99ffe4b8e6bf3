import type { Logger } from '../logger';
import type { IndexStore, StateStore } from './ports';

/**
 * The one place that picks storage adapters: MONGO_URL selects MongoDB for the index (else the
 * embedded SQLite file), REDIS_URL selects Redis for shared state (else in-process maps).
 * Adapters are imported on demand so that the embedded default never loads mongoose or ioredis.
 * The stores come back not yet initialized: the caller owns them and calls init() and close().
 */
export async function createIndexStore(options: {
  mongoUrl?: string | undefined;
  sqlitePath: string;
  logger: Logger;
}): Promise<IndexStore> {
  if (options.mongoUrl) {
    const { MongoIndexStore } = await import('./mongo/index-store');
    return new MongoIndexStore({ url: options.mongoUrl, logger: options.logger });
  }
  const { SqliteIndexStore } = await import('./sqlite/index-store');
  return new SqliteIndexStore({ path: options.sqlitePath, logger: options.logger });
}

export async function createStateStore(options: { redisUrl?: string | undefined; logger: Logger }): Promise<StateStore> {
  if (options.redisUrl) {
    const { RedisStateStore } = await import('./redis/state-store');
    return new RedisStateStore({ url: options.redisUrl, logger: options.logger });
  }
  const { MemoryStateStore } = await import('./memory/state-store');
  return new MemoryStateStore({ logger: options.logger });
}
