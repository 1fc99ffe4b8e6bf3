import type { Page } from '../../storage/types';

/** A whole building or line offline at once is a network fault; a single device a front-end fault. */
export type FaultKind = 'front-end' | 'network';
export type FaultScope = 'device' | 'building' | 'line';
export type FaultState = 'open' | 'acknowledged' | 'resolved';

export interface FaultDevice {
  deviceId: string;
  /** When the device went offline (its latest offline transition while on this ticket). */
  offlineAt: number;
  /** When it came back; null while offline. */
  backAt: number | null;
}

export interface FaultTicket {
  id: string;
  kind: FaultKind;
  scope: FaultScope;
  /** The buildings concerned (one, every building of a line, none for a device outside any building). */
  buildingIds: string[];
  line: string | null;
  devices: FaultDevice[];
  /** Earliest offline time of the outage. */
  offlineSince: number;
  openedAt: number;
  state: FaultState;
  /** The 24 h network deadline applies (the building or line has no spare fibre). */
  noSpareFibre: boolean;
  responseDeadline: number;
  repairDeadline: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolution: 'auto' | 'manual' | null;
  note: string | null;
  /** Auto-resolved: last device back minus offlineSince (the outage as measured). */
  repairMs: number | null;
  responseBreachedAt: number | null;
  repairBreachedAt: number | null;
}

export interface FaultQuery {
  state?: FaultState;
  buildingId?: string;
  breached?: boolean;
  /** openedAt in [from, to). */
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

export interface FibreFlag {
  scope: 'line' | 'building';
  id: string;
  noSpareFibre: boolean;
  note: string | null;
  updatedAt: number;
}

/** Fault tickets and spare-fibre flags. Adapters: store-sqlite.ts, store-mongo.ts (test/operations/faults/store.contract.ts). */
export interface FaultStore {
  init(): Promise<void>;
  /** Creates or replaces a ticket (by id). */
  save(ticket: FaultTicket): Promise<void>;
  get(id: string): Promise<FaultTicket | null>;
  /** Newest opened first. */
  list(query: FaultQuery): Promise<Page<FaultTicket>>;
  /** Tickets not resolved, oldest first. */
  unresolved(): Promise<FaultTicket[]>;
  /** The latest openedAt of a ticket listing the device, or null. */
  lastTicketOpenedFor(deviceId: string): Promise<number | null>;
  putFibre(flag: FibreFlag): Promise<void>;
  getFibre(scope: 'line' | 'building', id: string): Promise<FibreFlag | null>;
  listFibre(): Promise<FibreFlag[]>;
}

export const isBreached = (t: FaultTicket): boolean => t.responseBreachedAt !== null || t.repairBreachedAt !== null;
