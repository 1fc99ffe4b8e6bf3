import { statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger';
import type { IndexStore } from '../storage/ports';
import type { RecordingSegment } from '../storage/types';

export interface RetentionOptions {
  footageRoot: string;
  /** Days footage is kept when the channel's plan sets none. */
  defaultRetentionDays: number;
  /** Footage above this many bytes is deleted, oldest first (0: no quota). */
  maxBytes: number;
  /** Oldest footage is deleted while the disk has less free space than this (0: no check). */
  minFreeBytes: number;
  intervalMs: number;
}

export interface SweepResult {
  deleted: number;
  bytes: number;
  /** Segments kept because someone was reading them. */
  skippedInUse: number;
}

const BATCH = 500;
const DAY_MS = 86_400_000;

/**
 * Deletes footage that has outlived its retention, then the oldest footage while the quota or the
 * free-space floor is exceeded: index entry first (nobody starts reading it), then the file.
 * Locked segments (evidence for a case) and segments being read or exported are never deleted.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepResult> | null = null;
  private readonly inUse = new Map<string, number>();

  constructor(
    private readonly index: IndexStore,
    private readonly logger: Logger,
    private readonly options: RetentionOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): Promise<SweepResult | null> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    return this.running ?? Promise.resolve(null);
  }

  /** Marks segments as being read (playback, export) until the returned function is called. */
  hold(ids: readonly string[]): () => void {
    for (const id of ids) this.inUse.set(id, (this.inUse.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = (this.inUse.get(id) ?? 1) - 1;
        if (n <= 0) this.inUse.delete(id);
        else this.inUse.set(id, n);
      }
    };
  }

  /** One pass; concurrent calls share it. */
  sweep(now = Date.now()): Promise<SweepResult> {
    if (this.running !== null) return this.running;
    this.running = this.pass(now)
      .catch((err: unknown) => {
        this.logger.error({ err }, 'retention sweep failed');
        return { deleted: 0, bytes: 0, skippedInUse: 0 };
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async pass(now: number): Promise<SweepResult> {
    const result: SweepResult = { deleted: 0, bytes: 0, skippedInUse: 0 };
    const plans = new Map((await this.index.listRecordingPlans()).map((p) => [p.channelId, p.retentionDays]));
    const daysOf = (channelId: string) => plans.get(channelId) ?? this.options.defaultRetentionDays;
    // Channels whose plan keeps footage for less than the default: their own pass.
    for (const [channelId, days] of plans) {
      if (days !== null && days < this.options.defaultRetentionDays) await this.expire({ channelId, endBefore: now - days * DAY_MS }, () => true, result);
    }
    // Everything else at the default; a channel kept longer by its plan is left alone. When a batch
    // holds nothing to delete (older footage of such channels), the rest waits for the quota pass.
    const cutoff = now - this.options.defaultRetentionDays * DAY_MS;
    await this.expire({ endBefore: cutoff }, (s) => s.end <= now - daysOf(s.channelId) * DAY_MS, result);
    // Quota and free space: oldest first, just enough to bring both back.
    for (let rounds = 0; rounds < 1000; rounds++) {
      const excess = await this.excessBytes();
      if (excess <= 0) break;
      const batch = (await this.index.oldestRecordingSegments({ limit: 50 })).filter((seg) => !this.inUse.has(seg.id));
      if (batch.length === 0) {
        this.logger.error({ excess }, 'footage is over its quota or the disk is nearly full, and nothing more may be deleted (all locked or in use)');
        break;
      }
      const pick: RecordingSegment[] = [];
      let freed = 0;
      for (const seg of batch) {
        pick.push(seg);
        freed += seg.bytes;
        if (freed >= excess) break;
      }
      await this.remove(pick, result);
    }
    if (result.deleted > 0) this.logger.info({ ...result }, 'retention sweep deleted footage');
    return result;
  }

  private async expire(query: { channelId?: string; endBefore: number }, expired: (s: RecordingSegment) => boolean, result: SweepResult): Promise<void> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const batch = await this.index.oldestRecordingSegments({ limit: BATCH, ...query });
      const deletable = batch.filter((s) => expired(s) && !this.inUse.has(s.id));
      result.skippedInUse += batch.filter((s) => this.inUse.has(s.id)).length;
      if (deletable.length === 0) return;
      await this.remove(deletable, result);
      if (batch.length < BATCH) return;
    }
  }

  /** Bytes to free for the quota and the free-space floor to hold (0 or less: nothing to do). */
  private async excessBytes(): Promise<number> {
    let excess = 0;
    if (this.options.maxBytes > 0) excess = (await this.index.recordingTotals()).bytes - this.options.maxBytes;
    if (this.options.minFreeBytes > 0) {
      try {
        const fs = await statfs(this.options.footageRoot);
        excess = Math.max(excess, this.options.minFreeBytes - fs.bavail * fs.bsize);
      } catch (err) {
        this.logger.warn({ err }, 'could not read the free space of the footage disk');
      }
    }
    return excess;
  }

  private async remove(segments: readonly RecordingSegment[], result: SweepResult): Promise<void> {
    const deletable = segments.filter((s) => {
      if (!this.inUse.has(s.id)) return true;
      result.skippedInUse++;
      return false;
    });
    if (deletable.length === 0) return;
    await this.index.deleteRecordingSegments(deletable.map((s) => s.id));
    for (const s of deletable) {
      try {
        await unlink(join(this.options.footageRoot, s.path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, path: s.path }, 'could not delete a footage file');
      }
      result.deleted++;
      result.bytes += s.bytes;
    }
  }
}
