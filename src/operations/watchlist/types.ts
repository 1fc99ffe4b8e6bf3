import type { Page } from '../../storage/types';

export type WatchKind = 'person' | 'card';
export type AlertState = 'open' | 'acknowledged' | 'closed';

export interface WatchlistEntry {
  id: string;
  kind: WatchKind;
  /** The person ID or card number, matched exactly against door records. */
  value: string;
  reason: string;
  /** 1 (highest) to 4, as GB28181 AlarmPriority. */
  priority: number;
  createdAt: number;
  updatedAt: number;
}

export interface WatchlistAlert {
  id: string;
  entryId: string;
  kind: WatchKind;
  value: string;
  reason: string;
  priority: number;
  recordId: string;
  buildingId: string;
  deviceId: string;
  doorId: string | null;
  /** The door event's time. */
  eventTime: number;
  raisedAt: number;
  state: AlertState;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  closedAt: number | null;
  closedBy: string | null;
  note: string | null;
  /** Handed to the cascade (forwardAlarmUpward). */
  forwarded: boolean;
}

export interface AlertQuery {
  state?: AlertState;
  buildingId?: string;
  /** raisedAt in [from, to). */
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

/** Entries and alerts. Adapters: store-sqlite.ts, store-mongo.ts. */
export interface WatchlistStore {
  init(): Promise<void>;
  /** Inserts; false when an entry of that kind and value exists. */
  insertEntry(entry: WatchlistEntry): Promise<boolean>;
  replaceEntry(entry: WatchlistEntry): Promise<void>;
  deleteEntry(id: string): Promise<boolean>;
  getEntry(id: string): Promise<WatchlistEntry | null>;
  listEntries(offset: number, limit: number): Promise<Page<WatchlistEntry>>;
  /** Entries matching a person ID or card number (either may be null). */
  match(personId: string | null, cardNumber: string | null): Promise<WatchlistEntry[]>;
  saveAlert(alert: WatchlistAlert): Promise<void>;
  getAlert(id: string): Promise<WatchlistAlert | null>;
  /** Newest raised first. */
  listAlerts(query: AlertQuery): Promise<Page<WatchlistAlert>>;
}
