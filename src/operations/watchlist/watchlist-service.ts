import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors';
import type { EventPublisher } from '../../events/types';
import type { Logger } from '../../logger';
import type { Page } from '../../storage/types';
import { maskIdentifier } from '../audit/mask';
import type { DoorRecord } from '../doors/types';
import type { AlertQuery, WatchKind, WatchlistAlert, WatchlistEntry, WatchlistStore } from './types';

export interface WatchlistServiceOptions {
  now?: () => number;
  /**
   * Sends an alert upward to cascaded platforms (as a GB28181 Alarm): wired by the cascade.
   * Called after the alert is stored and published; resolves false when no upper platform took
   * it. A failure is logged. Either leaves forwarded false.
   */
  forwardAlarmUpward?: (alert: WatchlistAlert) => Promise<boolean | void> | boolean | void;
}

export interface EntryInput {
  kind: WatchKind;
  value: string;
  reason: string;
  priority: number;
}

/** An alert with its identifier masked, for subscribers and callers without the investigator role. */
export function maskAlert(alert: WatchlistAlert): WatchlistAlert & { masked: true } {
  return { ...alert, value: maskIdentifier(alert.value) ?? '', masked: true };
}

/** The watchlist: entries, matching of every new door record, alerts and their handling. */
export class WatchlistService {
  private readonly now: () => number;

  constructor(
    private readonly store: WatchlistStore,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
    private readonly options: WatchlistServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Set once the cascade is up (it is created after this service). */
  setForwarder(forward: WatchlistServiceOptions['forwardAlarmUpward']): void {
    if (forward) this.options.forwardAlarmUpward = forward;
    else delete this.options.forwardAlarmUpward;
  }

  async createEntry(input: EntryInput): Promise<WatchlistEntry> {
    const now = this.now();
    const entry: WatchlistEntry = { id: randomUUID(), ...input, createdAt: now, updatedAt: now };
    if (!(await this.store.insertEntry(entry))) throw new AppError('conflict', `the watchlist already has this ${input.kind}`);
    this.logger.info({ entryId: entry.id, kind: entry.kind, priority: entry.priority }, 'watchlist entry added');
    return entry;
  }

  async updateEntry(id: string, patch: Partial<Omit<EntryInput, 'kind' | 'value'>>): Promise<WatchlistEntry> {
    const entry = await this.getEntry(id);
    const updated: WatchlistEntry = { ...entry, ...patch, updatedAt: this.now() };
    await this.store.replaceEntry(updated);
    return updated;
  }

  async deleteEntry(id: string): Promise<void> {
    if (!(await this.store.deleteEntry(id))) throw new AppError('not_found', `watchlist entry ${id} does not exist`);
  }

  async getEntry(id: string): Promise<WatchlistEntry> {
    const entry = await this.store.getEntry(id);
    if (!entry) throw new AppError('not_found', `watchlist entry ${id} does not exist`);
    return entry;
  }

  listEntries(offset: number, limit: number): Promise<Page<WatchlistEntry>> {
    return this.store.listEntries(offset, limit);
  }

  /** Raises an alert for every entry the record matches: stored, published, forwarded upward. */
  async check(record: DoorRecord): Promise<WatchlistAlert[]> {
    if (record.personId === null && record.cardNumber === null) return [];
    const entries = await this.store.match(record.personId, record.cardNumber);
    const alerts: WatchlistAlert[] = [];
    for (const entry of entries) {
      const alert: WatchlistAlert = {
        id: randomUUID(),
        entryId: entry.id,
        kind: entry.kind,
        value: entry.value,
        reason: entry.reason,
        priority: entry.priority,
        recordId: record.id,
        buildingId: record.buildingId,
        deviceId: record.deviceId,
        doorId: record.doorId,
        eventTime: record.time,
        raisedAt: this.now(),
        state: 'open',
        acknowledgedAt: null,
        acknowledgedBy: null,
        closedAt: null,
        closedBy: null,
        note: null,
        forwarded: false,
      };
      await this.store.saveAlert(alert);
      this.events.publish('watchlist.alert', { alert: maskAlert(alert) });
      this.logger.warn({ alertId: alert.id, entryId: entry.id, recordId: record.id, buildingId: record.buildingId, priority: entry.priority }, 'watchlist alert');
      await this.forward(alert);
      alerts.push(alert);
    }
    return alerts;
  }

  private async forward(alert: WatchlistAlert): Promise<void> {
    const forward = this.options.forwardAlarmUpward;
    if (!forward) return;
    try {
      if ((await forward(alert)) === false) return;
      alert.forwarded = true;
      await this.store.saveAlert(alert);
    } catch (err) {
      this.logger.error({ err, alertId: alert.id }, 'watchlist alert not forwarded upward');
    }
  }

  async acknowledge(id: string, by: string): Promise<WatchlistAlert> {
    const alert = await this.getAlert(id);
    if (alert.state !== 'open') throw new AppError('conflict', `alert ${id} is ${alert.state}`);
    alert.state = 'acknowledged';
    alert.acknowledgedAt = this.now();
    alert.acknowledgedBy = by;
    await this.store.saveAlert(alert);
    return alert;
  }

  async close(id: string, by: string, note: string): Promise<WatchlistAlert> {
    const alert = await this.getAlert(id);
    if (alert.state === 'closed') throw new AppError('conflict', `alert ${id} is already closed`);
    alert.state = 'closed';
    alert.closedAt = this.now();
    alert.closedBy = by;
    alert.note = note;
    await this.store.saveAlert(alert);
    return alert;
  }

  async getAlert(id: string): Promise<WatchlistAlert> {
    const alert = await this.store.getAlert(id);
    if (!alert) throw new AppError('not_found', `alert ${id} does not exist`);
    return alert;
  }

  listAlerts(query: AlertQuery): Promise<Page<WatchlistAlert>> {
    return this.store.listAlerts(query);
  }
}
