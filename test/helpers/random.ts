/** mulberry32: a small seeded PRNG so that fuzz failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0 <= n < maxExclusive. */
export function randomBelow(rand: () => number, maxExclusive: number): number {
  return Math.floor(rand() * maxExclusive);
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[randomBelow(rand, items.length)] as T;
}

/** min <= n <= max. */
export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** One random damage: bit flips, truncation, insertion, deletion or duplication of a range. */
export function mutate(rand: () => number, input: Buffer): Buffer {
  const kind = randomInt(rand, 0, 4);
  const at = randomInt(rand, 0, Math.max(0, input.length - 1));
  switch (kind) {
    case 0: {
      const out = Buffer.from(input);
      const flips = randomInt(rand, 1, 16);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const p = randomInt(rand, 0, out.length - 1);
        out[p] = (out[p] ?? 0) ^ (1 << randomInt(rand, 0, 7));
      }
      return out;
    }
    case 1:
      return input.subarray(0, at);
    case 2:
      return Buffer.concat([input.subarray(0, at), randomBytes(rand, randomInt(rand, 1, 3000)), input.subarray(at)]);
    case 3:
      return Buffer.concat([input.subarray(0, at), input.subarray(Math.min(input.length, at + randomInt(rand, 1, 5000)))]);
    default: {
      const len = randomInt(rand, 1, 4000);
      return Buffer.concat([input.subarray(0, at + len), input.subarray(at)]);
    }
  }
}
