import { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import type { Registration, StateStore } from '../ports';
import { registrationRetentionMs } from '../registration-retention';
import {
  ACQUIRE_LEASE,
  COUNT_REGISTRATIONS,
  INCREMENT,
  RELEASE_LEASE,
  TAKE_EXPIRED,
  TOUCH_REGISTRATION,
} from './lua-script';
import { parseRegistration, registrationFields } from './registration-hash';

export interface RedisStateStoreOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Prefix of every key, so that several deployments can share a server (default 'gbvms:'). */
  keyPrefix?: string;
  logger: Logger;
}

/**
 * Shared state for multi-node deployments. Layout under the prefix:
 *   reg:<deviceId>   hash, expires a while after the registration's expiresAt
 *   reg-index        sorted set deviceId -> end of retention (for counting)
 *   deadlines        sorted set deviceId -> liveness deadline
 *   eph:<key>        string with PX
 *   cnt:<key>        counter with PX from its first increment
 *   lease:<key>      owner, SET NX PX
 * Read-modify-write steps are Lua scripts (atomic on the server); independent commands issued
 * in the same tick are pipelined by ioredis (enableAutoPipelining).
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  private readonly logger: Logger;
  private readonly redis: Redis;
  private readonly prefix: string;
  private closed = false;
  private lastErrorLog = 0;

  constructor(options: RedisStateStoreOptions) {
    this.logger = options.logger.child({ component: 'redis-state-store' });
    this.prefix = options.keyPrefix ?? 'gbvms:';
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 3,
      connectTimeout: 5000,
    });
    this.redis.on('error', (err: Error) => {
      // ioredis reports every failed reconnect attempt: one line per 10 s is enough.
      const now = Date.now();
      if (now - this.lastErrorLog < 10_000) return;
      this.lastErrorLog = now;
      this.logger.warn({ err }, 'redis connection error');
    });
  }

  async init(): Promise<void> {
    if (this.redis.status === 'ready') return;
    try {
      await this.redis.connect();
      await this.redis.ping();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`cannot reach Redis state store: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch (err) {
        this.logger.debug({ err }, 'redis QUIT failed, disconnecting');
      }
    }
    this.redis.disconnect();
  }

  async putRegistration(registration: Registration): Promise<void> {
    const key = this.registrationKey(registration.deviceId);
    const now = Date.now();
    const retentionMs = Math.ceil(registrationRetentionMs(registration, now));
    const multi = this.redis.multi().del(key);
    if (retentionMs <= 0) {
      multi.zrem(this.key('reg-index'), registration.deviceId);
    } else {
      multi
        .hset(key, registrationFields(registration))
        .pexpire(key, retentionMs)
        .zadd(this.key('reg-index'), now + retentionMs, registration.deviceId);
    }
    await multi.exec();
  }

  async getRegistration(deviceId: string): Promise<Registration | null> {
    const hash = await this.redis.hgetall(this.registrationKey(deviceId));
    if (Object.keys(hash).length === 0) return null;
    const registration = parseRegistration(deviceId, hash);
    if (!registration) this.logger.warn({ deviceId }, 'malformed registration hash ignored');
    return registration;
  }

  async deleteRegistration(deviceId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.registrationKey(deviceId))
      .zrem(this.key('reg-index'), deviceId)
      .exec();
  }

  async touchRegistration(
    deviceId: string,
    at: number,
    peer?: { transport: 'udp' | 'tcp'; address: string; port: number },
  ): Promise<void> {
    const args: (string | number)[] = peer ? [at, peer.transport, peer.address, peer.port] : [at];
    await TOUCH_REGISTRATION.run(this.redis, [this.registrationKey(deviceId)], args);
  }

  async countRegistrations(): Promise<number> {
    return toInteger(await COUNT_REGISTRATIONS.run(this.redis, [this.key('reg-index')], [Date.now()]));
  }

  async setDeadline(deviceId: string, at: number): Promise<void> {
    await this.redis.zadd(this.key('deadlines'), at, deviceId);
  }

  async clearDeadline(deviceId: string): Promise<void> {
    await this.redis.zrem(this.key('deadlines'), deviceId);
  }

  async takeExpired(now: number, limit: number): Promise<string[]> {
    if (!(limit >= 1)) return [];
    const ids = await TAKE_EXPIRED.run(this.redis, [this.key('deadlines')], [now, Math.floor(limit)]);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  }

  async swapOnline(deviceId: string, online: boolean): Promise<boolean | null> {
    // SET ... GET (Redis 6.2+) sets and returns the old value in one atomic command.
    const previous = await this.redis.set(this.key(`online:${deviceId}`), online ? '1' : '0', 'GET');
    return previous === null ? null : previous === '1';
  }

  async getOnline(deviceId: string): Promise<boolean | null> {
    const value = await this.redis.get(this.key(`online:${deviceId}`));
    return value === null ? null : value === '1';
  }

  async forgetOnline(deviceId: string): Promise<void> {
    await this.redis.del(this.key(`online:${deviceId}`));
  }

  async putEphemeral(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(`eph:${key}`), value, 'PX', ttl(ttlMs));
  }

  async getEphemeral(key: string): Promise<string | null> {
    return this.redis.get(this.key(`eph:${key}`));
  }

  async deleteEphemeral(key: string): Promise<void> {
    await this.redis.del(this.key(`eph:${key}`));
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    return toInteger(await INCREMENT.run(this.redis, [this.key(`cnt:${key}`)], [ttl(ttlMs)]));
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await ACQUIRE_LEASE.run(this.redis, [this.key(`lease:${key}`)], [owner, ttl(ttlMs)])) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    await RELEASE_LEASE.run(this.redis, [this.key(`lease:${key}`)], [owner]);
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private registrationKey(deviceId: string): string {
    return this.key(`reg:${deviceId}`);
  }
}

/** PX and PEXPIRE take a positive integer. */
function ttl(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

function toInteger(reply: unknown): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) return Number(reply);
  throw new Error(`unexpected Redis reply: ${String(reply)}`);
}
