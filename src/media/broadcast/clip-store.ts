import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A converted broadcast clip: 8 kHz mono A-law, one byte per sample. */
export interface BroadcastClip {
  id: string;
  bytes: number;
  durationMs: number;
  createdAt: number;
}

export const CLIP_ID = /^[0-9a-f]{24}$/;

/**
 * Converted clips on disk (`<dir>/<id>.alaw`), so one upload can be broadcast again by its ID.
 * Clips older than the TTL are removed by prune(); the newest `maxClips` are kept.
 */
export class BroadcastClipStore {
  constructor(
    readonly dir: string,
    private readonly options: { ttlMs: number; maxClips: number },
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.prune();
  }

  async add(alaw: Buffer): Promise<BroadcastClip> {
    const id = randomBytes(12).toString('hex');
    await writeFile(join(this.dir, `${id}.alaw`), alaw);
    await this.prune();
    return { id, bytes: alaw.length, durationMs: Math.round(alaw.length / 8), createdAt: Date.now() };
  }

  /** The clip's audio, or null when unknown or expired. */
  async read(id: string): Promise<{ clip: BroadcastClip; audio: Buffer } | null> {
    if (!CLIP_ID.test(id)) return null;
    const file = join(this.dir, `${id}.alaw`);
    const info = await stat(file).catch(() => null);
    if (info === null || Date.now() - info.mtimeMs > this.options.ttlMs) return null;
    const audio = await readFile(file);
    return { clip: { id, bytes: audio.length, durationMs: Math.round(audio.length / 8), createdAt: info.mtimeMs }, audio };
  }

  async prune(now = Date.now()): Promise<number> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{24}\.alaw$/.test(n));
    const files = await Promise.all(names.map(async (name) => ({ name, mtime: (await stat(join(this.dir, name)).catch(() => null))?.mtimeMs ?? 0 })));
    files.sort((a, b) => b.mtime - a.mtime);
    let removed = 0;
    for (const [i, f] of files.entries()) {
      if (i < this.options.maxClips && now - f.mtime <= this.options.ttlMs) continue;
      await rm(join(this.dir, f.name), { force: true });
      removed++;
    }
    return removed;
  }
}
