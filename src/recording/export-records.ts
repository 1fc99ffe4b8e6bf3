import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger';
import type { ExportJobs } from '../media/export/export-jobs';
import type { ExportJobRecord } from '../media/export/job-types';

/**
 * Export jobs survive a restart in `<dataDir>/exports/jobs.json`, next to their files (exports are
 * a node's own: the MP4s are on its disk). Written whole, through a temp file and a rename, a
 * moment after each change; read once at start and handed to ExportJobs.restore.
 */
export class ExportRecords {
  private readonly file: string;
  private readonly records = new Map<string, ExportJobRecord>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(dataDir, 'exports', 'jobs.json');
  }

  /** Loads the stored jobs into `jobs` and keeps the file in step with it from now on. */
  attach(jobs: ExportJobs): void {
    const stored = this.load();
    for (const r of stored) this.records.set(r.id, r);
    const save = (job: ExportJobRecord): void => {
      this.records.set(job.id, job);
      this.schedule();
    };
    jobs.on('change', save);
    jobs.on('progress', save);
    jobs.on('pruned', (job) => {
      this.records.delete(job.id);
      this.schedule();
    });
    jobs.restore(stored);
  }

  /** Writes what is pending now (shutdown). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
  }

  private load(): ExportJobRecord[] {
    if (!existsSync(this.file)) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(parsed)) throw new Error('not a list');
      return parsed.filter((r): r is ExportJobRecord => typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string');
    } catch (err) {
      this.logger.error({ err, file: this.file }, 'export job records unreadable: starting without them (the file is left for inspection)');
      return [];
    }
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }, 200);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const temp = `${this.file}.tmp`;
    try {
      await writeFile(temp, JSON.stringify([...this.records.values()]));
      await rename(temp, this.file);
    } catch (err) {
      this.logger.error({ err, file: this.file }, 'could not save export job records');
    }
  }
}
