import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger';
import { ExportError } from './errors';
import { captureStream } from './capture-stream';
import { exportClip } from './export-clip';
import { hashFile } from './hash-file';
import type { ExportJobRecord, ExportJobsEvents, ExportJobsOptions, ExportRequest } from './job-types';

const HOUR = 3_600_000;

interface Job {
  record: ExportJobRecord;
  controller: AbortController | null;
}

/**
 * An in-memory queue of clip exports: at most `concurrency` run at once, the rest wait in order.
 * Finished files live in `<dataDir>/exports/<jobId>.mp4` and are removed with their job after
 * the TTL. Jobs are not persisted here: a store listens to 'change' and hands records back
 * through restore() after a restart. close() cancels what runs and stops the pruning timer.
 */
export class ExportJobs extends EventEmitter<ExportJobsEvents> {
  readonly exportsDir: string;
  private readonly jobs = new Map<string, Job>();
  private readonly queue: string[] = [];
  private readonly runs = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly ttlMs: number;
  private readonly maxRangeMs: number;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly exporter: typeof exportClip;
  private readonly timer: NodeJS.Timeout;
  private running = 0;
  private closed = false;

  constructor(private readonly options: ExportJobsOptions) {
    super();
    this.exportsDir = join(options.dataDir, 'exports');
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.ttlMs = options.ttlMs ?? 24 * HOUR;
    this.maxRangeMs = options.maxRangeMs ?? 24 * HOUR;
    this.clock = options.clock ?? Date.now;
    this.log = options.logger.child({ component: 'export-jobs' });
    this.exporter = options.exporter ?? exportClip;
    this.timer = setInterval(() => {
      this.prune().catch((err: unknown) => this.log.error({ err }, 'export pruning failed'));
    }, options.pruneIntervalMs ?? Math.min(this.ttlMs, HOUR / 6));
    this.timer.unref();
  }

  /** Queues an export; throws ExportError('bad-range') for a range it will not take. */
  create(request: ExportRequest): ExportJobRecord {
    if (this.closed) throw new ExportError('aborted', 'export service is closed');
    const { channelId, from, to } = request;
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new ExportError('bad-range', `bad export range: from ${from} to ${to}`);
    if (to - from > this.maxRangeMs) throw new ExportError('bad-range', `export range longer than ${this.maxRangeMs / HOUR} h`);
    const record: ExportJobRecord = {
      id: randomUUID(),
      channelId,
      from,
      to,
      ...(request.source !== undefined ? { source: request.source } : {}),
      state: 'queued',
      progress: 0,
      createdAt: this.clock(),
      startedAt: null,
      finishedAt: null,
    };
    this.jobs.set(record.id, { record, controller: null });
    this.queue.push(record.id);
    this.log.info({ jobId: record.id, channelId, from, to }, 'export queued');
    this.emit('change', copy(record));
    this.pump();
    return copy(record);
  }

  get(id: string): ExportJobRecord | undefined {
    const job = this.jobs.get(id);
    return job ? copy(job.record) : undefined;
  }

  /** Newest first. */
  list(): ExportJobRecord[] {
    return [...this.jobs.values()].map((j) => copy(j.record)).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Stops a queued or running job (a running one's partial file is removed). False when it had finished or is unknown. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.record.state === 'queued') {
      this.queue.splice(this.queue.indexOf(id), 1);
      this.finish(job, 'cancelled');
      return true;
    }
    if (job.record.state === 'running') {
      job.controller?.abort();
      return true;
    }
    return false;
  }

  /** The finished file of a done job, for download; null otherwise. */
  fileOf(id: string): string | null {
    const record = this.jobs.get(id)?.record;
    return record?.state === 'done' && record.result ? record.result.outFile : null;
  }

  /** Whether a done job's file still has the hash taken when it was made (evidence unchanged). */
  async verify(id: string): Promise<boolean> {
    const record = this.jobs.get(id)?.record;
    if (record?.state !== 'done' || !record.result) return false;
    try {
      return (await hashFile(record.result.outFile)).sha256 === record.result.sha256;
    } catch {
      return false;
    }
  }

  /**
   * Puts stored jobs back after a restart: finished ones as they were, queued and interrupted
   * ones queued again from the start (a running export's partial file is gone with its process).
   */
  restore(records: readonly ExportJobRecord[]): void {
    for (const r of records) {
      if (this.jobs.has(r.id) || !/^[A-Za-z0-9-]{1,64}$/.test(r.id)) continue;
      const record = copy(r);
      const pending = record.state === 'queued' || record.state === 'running';
      if (pending) Object.assign(record, { state: 'queued', progress: 0, startedAt: null, finishedAt: null });
      this.jobs.set(record.id, { record, controller: null });
      if (pending) this.queue.push(record.id);
    }
    this.pump();
  }

  /** Removes finished jobs older than the TTL with their files, and stray files in the exports folder. */
  async prune(): Promise<number> {
    const now = this.clock();
    let removed = 0;
    for (const job of [...this.jobs.values()]) {
      const { record } = job;
      if (record.finishedAt === null || now - record.finishedAt < this.ttlMs) continue;
      this.jobs.delete(record.id);
      if (record.result) await fsp.rm(record.result.outFile, { force: true }).catch((err: unknown) => this.log.warn({ err, jobId: record.id }, 'expired export could not be removed'));
      removed++;
      this.log.info({ jobId: record.id }, 'expired export removed');
      this.emit('pruned', copy(record));
    }
    await this.removeStrayFiles(now);
    return removed;
  }

  /** Cancels running and queued jobs and waits for their processes to end. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const id of [...this.queue]) this.cancel(id);
    for (const job of this.jobs.values()) if (job.record.state === 'running') job.controller?.abort();
    await Promise.all([...this.runs]);
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.queue.length > 0) {
      const job = this.jobs.get(this.queue.shift() ?? '');
      if (!job) continue;
      this.running++;
      const run = this.run(job).finally(() => {
        this.running--;
        this.runs.delete(run);
        this.pump();
      });
      this.runs.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    const { record } = job;
    const controller = new AbortController();
    job.controller = controller;
    Object.assign(record, { state: 'running', startedAt: this.clock() });
    this.emit('change', copy(record));
    try {
      await fsp.mkdir(this.exportsDir, { recursive: true });
      const onProgress = (fraction: number): void => {
        record.progress = fraction;
        this.emit('progress', copy(record));
      };
      // What both ways of exporting share: where the file goes, the range, progress, cancel.
      const common = {
        ...(this.options.ffmpegPath ? { ffmpegPath: this.options.ffmpegPath } : {}),
        from: record.from,
        to: record.to,
        outFile: join(this.exportsDir, `${record.id}.mp4`),
        signal: controller.signal,
        logger: this.log.child({ jobId: record.id, channelId: record.channelId }),
        onProgress,
      };
      const result =
        record.source?.kind === 'stream'
          ? await captureStream({ ...common, url: record.source.url })
          : await this.exporter({ ...common, root: this.options.root, segments: await this.options.findSegments(record.channelId, record.from, record.to, record.id) });
      record.result = result;
      record.progress = 1;
      this.finish(job, 'done');
    } catch (err) {
      if (controller.signal.aborted) this.finish(job, 'cancelled');
      else {
        record.error = err instanceof ExportError ? { code: err.failure, message: err.message } : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
        this.log.warn({ jobId: record.id, error: record.error }, 'export failed');
        this.finish(job, 'failed');
      }
    } finally {
      job.controller = null;
    }
  }

  private finish(job: Job, state: 'done' | 'failed' | 'cancelled'): void {
    Object.assign(job.record, { state, finishedAt: this.clock() });
    this.log.info({ jobId: job.record.id, state }, 'export job finished');
    const record = copy(job.record);
    this.emit('change', record);
    this.emit(state, record);
  }

  private async removeStrayFiles(now: number): Promise<void> {
    const owned = new Set([...this.jobs.keys()].flatMap((id) => [`${id}.mp4`, `${id}.mp4.part`, `${id}.mp4.ffconcat`]));
    let names: string[];
    try {
      names = await fsp.readdir(this.exportsDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (owned.has(name) || !/\.mp4(\.part|\.ffconcat)?$/.test(name)) continue;
      const path = join(this.exportsDir, name);
      const stat = await fsp.stat(path).catch(() => null);
      if (stat?.isFile() && now - stat.mtimeMs >= this.ttlMs) {
        await fsp.rm(path, { force: true }).catch(() => undefined);
        this.log.info({ file: name }, 'stray export file removed');
      }
    }
  }
}

function copy(record: ExportJobRecord): ExportJobRecord {
  return structuredClone(record);
}
