import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by its SHA (EVALSHA), loaded with EVAL the first time a server answers
 * NOSCRIPT (after a restart or a failover). Scripts run atomically: that is what makes
 * takeExpired and the lease checks safe between several nodes.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Removes and returns up to ARGV[2] members of the sorted set KEYS[1] with score <= ARGV[1]. */
export const TAKE_EXPIRED = new LuaScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #ids, 1000 do
  redis.call('ZREM', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
end
return ids
`);

/** Sets lastSeenAt (and the peer when given) only when the registration hash exists; keeps its TTL. */
export const TOUCH_REGISTRATION = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV >= 4 then
  redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1], 'transport', ARGV[2], 'address', ARGV[3], 'port', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
end
return 1
`);

/** Drops index entries whose registration retention ended (score <= ARGV[1]) and counts the rest. */
export const COUNT_REGISTRATIONS = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
`);

/** INCR, with the TTL set by the first increment (or repaired when a counter somehow has none). */
export const INCREMENT = new LuaScript(`
local value = redis.call('INCR', KEYS[1])
if value == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value
`);

/** Takes a free lease, or renews it for its current owner; 1 when ARGV[1] holds it afterwards. */
export const ACQUIRE_LEASE = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** Deletes the lease only when ARGV[1] owns it. */
export const RELEASE_LEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
