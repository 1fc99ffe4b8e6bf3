import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors';
import type { EventPublisher } from '../../events/types';
import type { Logger } from '../../logger';
import type { Page } from '../../storage/types';
import type { BuildingDirectory } from '../building-directory';
import { classifyOutage, type Outage, type OutageView } from './classify';
import { deadlinesFor, newBreaches, type FaultDeadlines } from './deadlines';
import type { FaultDeviceSource } from './device-source';
import type { FaultQuery, FaultStore, FaultTicket, FibreFlag } from './types';

/** Presence transitions (DevicePresence emits these). */
export interface PresenceEvents {
  on(event: 'online' | 'offline', listener: (deviceId: string, reason: string, at: number) => void): unknown;
  off(event: 'online' | 'offline', listener: (deviceId: string, reason: string, at: number) => void): unknown;
}

export interface FaultServiceOptions extends FaultDeadlines {
  graceMs: number;
  sweepIntervalMs: number;
  /** The clock (tests compress time with their own). */
  now?: () => number;
  /** How far back restart recovery looks for a device's offline event. */
  recoveryLookbackMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Fault tickets from presence transitions. A device that goes offline waits out the grace time
 * (pending); then the sweep classifies it (classify.ts) and opens one ticket per outage. A device
 * coming back marks itself back on its ticket, which resolves by itself when every device is
 * back. The sweep also flags response and repair deadlines as they pass. Work is serialized on
 * one queue, so transitions, sweeps and API actions never interleave. State is rebuilt at start
 * from the unresolved tickets and the stored online flags and events (see start()).
 */
export class FaultService {
  /** Offline devices not on a ticket yet: offline time. */
  private readonly pending = new Map<string, number>();
  private readonly open = new Map<string, FaultTicket>();
  private readonly ticketOf = new Map<string, string>();
  /** Devices with a transition seen since start() began (recovery leaves them alone). */
  private readonly seen = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly now: () => number;
  // Failures are logged by the queue; a listener must not leave a rejected promise behind.
  private readonly onOfflineListener = (deviceId: string, _reason: string, at: number): void => {
    this.enqueue(() => this.wentOffline(deviceId, at)).catch(() => undefined);
  };
  private readonly onOnlineListener = (deviceId: string, _reason: string, at: number): void => {
    this.enqueue(() => this.cameBack(deviceId, at)).catch(() => undefined);
  };

  constructor(
    private readonly store: FaultStore,
    private readonly directory: BuildingDirectory,
    private readonly devices: FaultDeviceSource,
    private readonly presence: PresenceEvents | null,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
    private readonly options: FaultServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to presence, rebuilds state from storage, then starts the sweep timer. */
  async start(): Promise<void> {
    this.presence?.on('offline', this.onOfflineListener);
    this.presence?.on('online', this.onOnlineListener);
    await this.enqueue(() => this.recover());
    if (this.options.sweepIntervalMs > 0 && !this.closed) {
      // A failed sweep is logged by the queue; the next one tries again.
      this.timer = setInterval(() => void this.tick().catch(() => undefined), this.options.sweepIntervalMs);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.presence?.off('offline', this.onOfflineListener);
    this.presence?.off('online', this.onOnlineListener);
    await this.queue.catch(() => undefined);
  }

  /** Presence transitions (also called by the listeners). */
  offlineEvent(deviceId: string, at: number): Promise<void> {
    return this.enqueue(() => this.wentOffline(deviceId, at));
  }

  onlineEvent(deviceId: string, at: number): Promise<void> {
    return this.enqueue(() => this.cameBack(deviceId, at));
  }

  /** Opens tickets whose grace passed and flags deadlines passed by `now`. */
  tick(now: number = this.now()): Promise<void> {
    return this.enqueue(() => this.sweep(now));
  }

  /** Resolves once every queued transition and action has been applied. */
  async idle(): Promise<void> {
    await this.enqueue(async () => undefined);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  list(query: FaultQuery): Promise<Page<FaultTicket>> {
    return this.store.list(query);
  }

  async get(id: string): Promise<FaultTicket> {
    const ticket = this.open.get(id) ?? (await this.store.get(id));
    if (!ticket) throw new AppError('not_found', `fault ticket ${id} does not exist`);
    return ticket;
  }

  acknowledge(id: string, by: string): Promise<FaultTicket> {
    return this.enqueue(async () => {
      const t = await this.get(id);
      if (t.state !== 'open') throw new AppError('conflict', `fault ticket ${id} is ${t.state}`);
      const now = this.now();
      t.state = 'acknowledged';
      t.acknowledgedAt = now;
      t.acknowledgedBy = by;
      const breaches = newBreaches(t, now);
      await this.store.save(t);
      this.publish('fault.acknowledged', t);
      for (const b of breaches) this.publishBreach(t, b);
      return t;
    });
  }

  /** Closes a ticket by hand; its devices still offline get no new ticket until they come back and fail again. */
  resolve(id: string, by: string, note: string): Promise<FaultTicket> {
    return this.enqueue(async () => {
      const t = await this.get(id);
      if (t.state === 'resolved') throw new AppError('conflict', `fault ticket ${id} is already resolved`);
      await this.finish(t, this.now(), 'manual', by, note);
      return t;
    });
  }

  putFibre(flag: Omit<FibreFlag, 'updatedAt'>): Promise<FibreFlag> {
    const full = { ...flag, updatedAt: this.now() };
    return this.store.putFibre(full).then(() => full);
  }

  listFibre(): Promise<FibreFlag[]> {
    return this.store.listFibre();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch((err: unknown) => {
      if (!(err instanceof AppError)) this.logger.error({ err }, 'fault ticket update failed');
    });
    return run;
  }

  private async wentOffline(deviceId: string, at: number): Promise<void> {
    this.seen.add(deviceId);
    const ticket = this.ticketFor(deviceId);
    if (ticket) {
      const d = ticket.devices.find((x) => x.deviceId === deviceId);
      if (d && d.backAt !== null) {
        d.offlineAt = at;
        d.backAt = null;
        await this.store.save(ticket);
      }
      return;
    }
    if (!this.pending.has(deviceId)) this.pending.set(deviceId, at);
  }

  private async cameBack(deviceId: string, at: number): Promise<void> {
    this.seen.add(deviceId);
    this.pending.delete(deviceId);
    const ticket = this.ticketFor(deviceId);
    if (!ticket) return;
    const d = ticket.devices.find((x) => x.deviceId === deviceId);
    if (d && d.backAt === null) d.backAt = Math.max(at, d.offlineAt);
    if (ticket.devices.every((x) => x.backAt !== null)) {
      const last = Math.max(...ticket.devices.map((x) => x.backAt ?? at));
      await this.finish(ticket, last, 'auto', null, null);
    } else {
      await this.store.save(ticket);
    }
  }

  private ticketFor(deviceId: string): FaultTicket | undefined {
    const id = this.ticketOf.get(deviceId);
    return id === undefined ? undefined : this.open.get(id);
  }

  private async finish(t: FaultTicket, at: number, how: 'auto' | 'manual', by: string | null, note: string | null): Promise<void> {
    t.state = 'resolved';
    t.resolvedAt = at;
    t.resolvedBy = by;
    t.resolution = how;
    t.note = note;
    t.repairMs = how === 'auto' ? at - t.offlineSince : null;
    const breaches = newBreaches(t, at);
    await this.store.save(t);
    this.open.delete(t.id);
    for (const d of t.devices) if (this.ticketOf.get(d.deviceId) === t.id) this.ticketOf.delete(d.deviceId);
    for (const b of breaches) this.publishBreach(t, b);
    this.publish('fault.resolved', t);
    this.logger.info({ ticketId: t.id, resolution: how, repairMs: t.repairMs }, 'fault ticket resolved');
  }

  private async sweep(now: number): Promise<void> {
    const due = [...this.pending].filter(([, at]) => at + this.options.graceMs <= now).sort((a, b) => a[1] - b[1]);
    const lineCache = new Map<string, Outage | null>();
    const view: OutageView = {
      offlineAt: (id) => (this.pending.has(id) ? this.pending.get(id) : undefined),
      ticketed: (id) => this.ticketOf.has(id),
      isOnline: (id) => this.devices.isOnline(id),
    };
    for (const [deviceId, at] of due) {
      if (!this.pending.has(deviceId)) continue; // taken by an outage opened earlier in this sweep
      const outage = await classifyOutage(deviceId, at, this.directory, view, this.options.graceMs, lineCache);
      await this.openTicket(outage, now);
    }
    for (const t of [...this.open.values()]) {
      const breaches = newBreaches(t, now);
      if (breaches.length === 0) continue;
      await this.store.save(t);
      for (const b of breaches) this.publishBreach(t, b);
    }
  }

  private async openTicket(outage: Outage, now: number): Promise<void> {
    const noSpareFibre = outage.kind === 'network' && (await this.noSpareFibre(outage));
    const offlineSince = Math.min(...outage.devices.map((d) => d.offlineAt));
    const t: FaultTicket = {
      id: randomUUID(),
      ...outage,
      devices: outage.devices.map((d) => ({ deviceId: d.deviceId, offlineAt: d.offlineAt, backAt: null })),
      offlineSince,
      openedAt: now,
      state: 'open',
      noSpareFibre,
      ...deadlinesFor(outage.kind, noSpareFibre, now, this.options),
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      resolution: null,
      note: null,
      repairMs: null,
      responseBreachedAt: null,
      repairBreachedAt: null,
    };
    await this.store.save(t);
    this.open.set(t.id, t);
    for (const d of t.devices) {
      this.pending.delete(d.deviceId);
      this.ticketOf.set(d.deviceId, t.id);
    }
    this.logger.info({ ticketId: t.id, kind: t.kind, scope: t.scope, devices: t.devices.length, buildingIds: t.buildingIds }, 'fault ticket opened');
    this.publish('fault.opened', t);
  }

  private async noSpareFibre(outage: Outage): Promise<boolean> {
    if (outage.line !== null && (await this.store.getFibre('line', outage.line))?.noSpareFibre) return true;
    for (const b of outage.buildingIds) if ((await this.store.getFibre('building', b))?.noSpareFibre) return true;
    return false;
  }

  /**
   * Restart recovery: unresolved tickets come back into memory; their devices found online got
   * back while we were down (back at their last online event); devices offline in the index and
   * on no ticket since their last offline event wait out the rest of their grace time. Devices
   * with a transition seen since start began are left as the transition made them.
   */
  private async recover(): Promise<void> {
    const now = this.now();
    const lookback = now - (this.options.recoveryLookbackMs ?? 31 * DAY_MS);
    for (const t of await this.store.unresolved()) {
      this.open.set(t.id, t);
      for (const d of t.devices) this.ticketOf.set(d.deviceId, t.id);
    }
    let reopened = 0;
    for (const t of [...this.open.values()]) {
      for (const d of t.devices) {
        if (d.backAt !== null || this.seen.has(d.deviceId)) continue;
        if ((await this.devices.isOnline(d.deviceId)) === true) {
          const back = (await this.devices.lastEventTime(d.deviceId, 'online', d.offlineAt, now + 1)) ?? now;
          await this.cameBack(d.deviceId, back);
        }
      }
      if (this.open.has(t.id)) reopened += 1;
    }
    let waiting = 0;
    for (const deviceId of await this.devices.offlineDeviceIds()) {
      if (this.seen.has(deviceId) || this.ticketOf.has(deviceId)) continue;
      const at = await this.devices.lastEventTime(deviceId, 'offline', lookback, now + 1);
      if (at === null) continue; // never seen online in the lookback: not an outage we can date
      const lastTicket = await this.store.lastTicketOpenedFor(deviceId);
      if (lastTicket !== null && lastTicket >= at) continue; // this outage was ticketed (and closed by hand)
      this.pending.set(deviceId, at);
      waiting += 1;
    }
    this.logger.info({ unresolved: reopened, pending: waiting }, 'fault tickets recovered');
  }

  private publish(topic: string, t: FaultTicket): void {
    this.events.publish(topic, { ticket: t });
  }

  private publishBreach(t: FaultTicket, deadline: 'response' | 'repair'): void {
    const at = deadline === 'response' ? t.responseBreachedAt : t.repairBreachedAt;
    this.logger.warn({ ticketId: t.id, deadline }, 'fault ticket deadline breached');
    this.events.publish('fault.breach', { ticketId: t.id, deadline, at, ticket: t });
  }
}
