import { randomBytes } from 'node:crypto';

/**
 * Random identifiers for branches, tags and Call-IDs. randomBytes is called once per 8 KiB and
 * sliced, because a registration storm asks for thousands of identifiers per second.
 */
const POOL_SIZE = 8192;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function take(n: number): number {
  if (offset + n > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  const at = take(bytes);
  return pool.toString('hex', at, at + bytes);
}

/** A random unsigned 32-bit number from the pool. */
export function randomUint32(): number {
  return pool.readUInt32BE(take(4));
}

/** A random unsigned 32-bit number as decimal digits (the style of tags GB devices use and expect). */
export function randomDecimal32(): string {
  const at = take(4);
  return String(pool.readUInt32BE(at));
}

/** RFC 3261 magic cookie plus 64 random bits. */
export function generateBranch(): string {
  return `z9hG4bK${randomHex(8)}`;
}

/** A From/To tag: digits only, which every device firmware accepts. */
export function generateTag(): string {
  return randomDecimal32();
}

/** `<96 random bits>@host`; digits and hex only so that it fits the Call-ID buffers of small devices. */
export function generateCallId(host: string): string {
  const id = randomHex(12);
  return host === '' ? id : `${id}@${host}`;
}
