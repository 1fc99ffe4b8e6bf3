import type { Logger } from '../../logger';
import type { KeepaliveLane } from '../transport';
import type { DeviceMessageRouter } from './message-router';
import type { DevicePresence } from './presence';

export interface LaneKeepalivesOptions {
  /** How often answered keepalives are recorded (ms); the liveness sweep records them first too. */
  intervalMs: number;
  /** Counts what the lane answered, as the SIP endpoint counts what it handles itself. */
  count?: (keepalives: number) => void;
  /** Datagrams the reader dropped since the last call because JavaScript fell too far behind. */
  dropped?: (datagrams: number) => void;
}

/** At most this many keepalives are recorded at once (each is a few state-store operations). */
const CONCURRENCY = 200;

/**
 * Brings the keepalives the lane answered into the state the JS stack keeps: each is recorded as
 * a keepalive the stack answered itself would be. A device leaves the lane when it goes offline,
 * so its next keepalive reaches the stack, which brings it back online.
 */
export class LaneKeepalives {
  private timer: NodeJS.Timeout | null = null;
  private collecting: Promise<number> | null = null;
  private droppedSoFar = 0;

  constructor(
    private readonly lane: KeepaliveLane,
    private readonly router: Pick<DeviceMessageRouter, 'laneKeepalive'>,
    private readonly presence: Pick<DevicePresence, 'on' | 'off' | 'setBeforeSweep'>,
    private readonly logger: Logger,
    private readonly options: LaneKeepalivesOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.presence.on('offline', this.revoke);
    this.presence.setBeforeSweep(() => this.collect());
    this.timer = setInterval(() => {
      void this.collect().catch((err: unknown) => this.logger.error({ err }, 'recording lane keepalives failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Records what was answered so far; also on close, so that no answered keepalive is lost. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.presence.off('offline', this.revoke);
    this.presence.setBeforeSweep(null);
    await this.collect();
  }

  /** Records the keepalives answered since the last call; returns how many. One run at a time. */
  collect(): Promise<number> {
    this.collecting ??= this.record().finally(() => {
      this.collecting = null;
    });
    return this.collecting;
  }

  private readonly revoke = (deviceId: string): void => this.lane.revoke(deviceId);

  private async record(): Promise<number> {
    const { dropped } = this.lane.stats();
    if (dropped > this.droppedSoFar) {
      this.logger.warn({ dropped: dropped - this.droppedSoFar }, 'SIP UDP datagrams dropped: the JS stack fell behind the native reader (its queue holds 32 MiB)');
      this.options.dropped?.(dropped - this.droppedSoFar);
      this.droppedSoFar = dropped;
    }
    const seen = this.lane.takeSeen();
    for (let i = 0; i < seen.length; i += CONCURRENCY) {
      await Promise.all(seen.slice(i, i + CONCURRENCY).map(({ deviceId, at }) => this.router.laneKeepalive(deviceId, at)));
    }
    if (seen.length > 0) this.options.count?.(seen.length);
    return seen.length;
  }
}
