import type { Logger } from '../../logger';
import type { DeviceQueries } from './device-queries';

/**
 * After a device registers afresh, asks for its DeviceInfo and Catalog, a bounded number at a time
 * so that a registration storm of 30,000 devices does not become 30,000 simultaneous queries.
 */
export class RefreshScheduler {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running = 0;
  private closed = false;

  constructor(
    private readonly queries: DeviceQueries,
    private readonly logger: Logger,
    private readonly concurrency: number,
  ) {}

  enqueue(deviceId: string): void {
    if (this.closed || this.queued.has(deviceId)) return;
    this.queued.add(deviceId);
    this.queue.push(deviceId);
    this.pump();
  }

  get backlog(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.queue.length > 0) {
      const deviceId = this.queue.shift() as string;
      this.running += 1;
      void this.refresh(deviceId).finally(() => {
        this.running -= 1;
        this.queued.delete(deviceId);
        this.pump();
      });
    }
  }

  private async refresh(deviceId: string): Promise<void> {
    try {
      await this.queries.deviceInfo(deviceId);
    } catch (err) {
      this.logger.info({ deviceId, err: (err as Error).message }, 'DeviceInfo after registration failed');
    }
    if (this.closed) return;
    try {
      await this.queries.catalog(deviceId);
    } catch (err) {
      this.logger.info({ deviceId, err: (err as Error).message }, 'catalog after registration failed');
    }
  }
}
