import { EventEmitter } from 'node:events';
import type { Logger } from '../../logger';
import type { IndexStore, StateStore } from '../../storage/ports';
import type { DeviceEventReason, DeviceUpdate } from '../../storage/types';

export interface PresenceEventMap {
  online: [deviceId: string, reason: DeviceEventReason, at: number];
  offline: [deviceId: string, reason: DeviceEventReason, at: number];
}

export interface PresenceOptions {
  /** Missed-keepalive allowance: interval × count (ms). */
  keepaliveTimeoutMs: number;
  sweepIntervalMs: number;
}

/**
 * Owns every online/offline transition: the shared flag in the state store decides what is a
 * transition; the index keeps the flag for queries and one event per transition (the history
 * online-rate accounting is computed from). The liveness sweep turns expired registrations and
 * missed keepalives into offline transitions.
 */
export class DevicePresence extends EventEmitter<PresenceEventMap> {
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private beforeSweep: (() => Promise<unknown>) | null = null;

  constructor(
    private readonly index: IndexStore,
    private readonly state: StateStore,
    private readonly logger: Logger,
    private readonly options: PresenceOptions,
  ) {
    super();
  }

  get keepaliveTimeoutMs(): number {
    return this.options.keepaliveTimeoutMs;
  }

  /** What the flag was before a swap that found none: the caller's knowledge, else the index. */
  private async previousOnline(deviceId: string, swapped: boolean | null, known?: boolean): Promise<boolean> {
    if (swapped !== null) return swapped;
    if (known !== undefined) return known;
    return (await this.index.getDevice(deviceId))?.online ?? false;
  }

  /**
   * Records that the device is online (writing `update` with it). The swap in the state store is
   * atomic, so when several nodes see the same transition only one stores and emits the event.
   * `knownOnline` is the index's flag when the caller has already read the device.
   */
  async markOnline(
    deviceId: string,
    reason: DeviceEventReason,
    at: number,
    update: DeviceUpdate = {},
    knownOnline?: boolean,
  ): Promise<void> {
    const wasOnline = await this.previousOnline(deviceId, await this.state.swapOnline(deviceId, true), knownOnline);
    if (wasOnline) {
      if (Object.keys(update).length > 0) await this.index.upsertDevice(deviceId, { ...update, online: true });
      return;
    }
    // Submitted together, so that a batching index commits the flag and its event at once.
    await Promise.all([
      this.index.upsertDevice(deviceId, { ...update, online: true }),
      this.index.appendDeviceEvents([{ deviceId, type: 'online', reason, time: at }]),
    ]);
    this.logger.info({ deviceId, reason }, 'device online');
    this.emit('online', deviceId, reason, at);
  }

  async markOffline(deviceId: string, reason: DeviceEventReason, at: number): Promise<void> {
    const wasOnline = await this.previousOnline(deviceId, await this.state.swapOnline(deviceId, false));
    if (!wasOnline) return;
    await Promise.all([
      this.index.upsertDevice(deviceId, { online: false }),
      this.index.appendDeviceEvents([{ deviceId, type: 'offline', reason, time: at }]),
    ]);
    this.logger.info({ deviceId, reason }, 'device offline');
    this.emit('offline', deviceId, reason, at);
  }

  /** Forgets a deleted device. */
  async forget(deviceId: string): Promise<void> {
    await this.state.forgetOnline(deviceId);
  }

  /** Next liveness deadline: registration expiry or missed keepalives, whichever comes first. */
  deadlineFor(lastSeenAt: number, expiresAt: number): number {
    return Math.min(expiresAt, lastSeenAt + this.options.keepaliveTimeoutMs);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.sweep(Date.now()).catch((err: unknown) => this.logger.error({ err }, 'liveness sweep failed'));
    }, this.options.sweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Run before each sweep: keepalives answered elsewhere (the keepalive lane) are recorded first. */
  setBeforeSweep(fn: (() => Promise<unknown>) | null): void {
    this.beforeSweep = fn;
  }

  /** Handles every device whose deadline passed. Safe to run on several nodes (takeExpired is atomic). */
  async sweep(now: number): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let handled = 0;
    try {
      if (this.beforeSweep) await this.beforeSweep();
      for (;;) {
        const due = await this.state.takeExpired(now, 1000);
        for (const deviceId of due) {
          await this.expire(deviceId, now);
          handled += 1;
        }
        if (due.length < 1000) break;
      }
    } finally {
      this.sweeping = false;
    }
    return handled;
  }

  private async expire(deviceId: string, now: number): Promise<void> {
    const reg = await this.state.getRegistration(deviceId);
    if (!reg) {
      await this.markOffline(deviceId, 'registration-expired', now);
      return;
    }
    if (reg.expiresAt <= now) {
      await this.state.deleteRegistration(deviceId);
      await this.markOffline(deviceId, 'registration-expired', reg.expiresAt);
      return;
    }
    const keepaliveDeadline = reg.lastSeenAt + this.options.keepaliveTimeoutMs;
    if (keepaliveDeadline <= now) {
      // The registration stays: a keepalive that resumes brings the device back without a new REGISTER.
      await this.markOffline(deviceId, 'keepalive-timeout', keepaliveDeadline);
      await this.state.setDeadline(deviceId, reg.expiresAt);
      return;
    }
    await this.state.setDeadline(deviceId, this.deadlineFor(reg.lastSeenAt, reg.expiresAt));
  }

  /**
   * At start: a device the index calls online but that has no registration in the state store
   * (in-process state is lost on restart) is marked offline; it comes back when it re-registers.
   */
  async reconcileAtStart(now: number): Promise<number> {
    let changed = 0;
    const pageSize = 1000;
    for (let offset = 0; ; ) {
      const page = await this.index.listDevices({ online: true, offset, limit: pageSize });
      // A page at a time, concurrently: the index commits the page's writes in a few batches
      // (30,000 devices one by one kept a restarted node's API down for ~9 s; SIP runs meanwhile).
      const kept = await Promise.all(page.items.map((device) => this.reconcileOne(device.deviceId, now)));
      for (const stillOnline of kept) {
        if (stillOnline) offset += 1; // still listed as online: step over it
        else changed += 1;
      }
      if (page.items.length < pageSize) break;
    }
    return changed;
  }

  /** True when the device keeps its online flag (its registration survived the restart). */
  private async reconcileOne(deviceId: string, now: number): Promise<boolean> {
    const reg = await this.state.getRegistration(deviceId);
    if (reg && reg.expiresAt > now) {
      await this.state.swapOnline(deviceId, true);
      await this.state.setDeadline(deviceId, this.deadlineFor(reg.lastSeenAt, reg.expiresAt));
      return true;
    }
    await this.markOffline(deviceId, 'server-restart', now);
    return false;
  }
}
