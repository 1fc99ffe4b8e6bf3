import type { Page } from '../../storage/types';

/**
 * A declared maintenance window: a device or a whole building is out of service for planned
 * work from `from` to `to` (ms UTC, [from, to)). Online-rate accounting leaves these periods out.
 */
export interface MaintenanceWindow {
  id: string;
  scope: 'device' | 'building';
  /** The device ID (scope device) or building ID (scope building). */
  targetId: string;
  from: number;
  to: number;
  reason: string;
  createdAt: number;
  updatedAt: number;
}

export interface MaintenanceQuery {
  scope?: 'device' | 'building';
  targetId?: string;
  /** Windows overlapping [from, to). */
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

/** Maintenance windows; adapters SQLite and MongoDB (test/operations/maintenance contract). */
export interface MaintenanceStore {
  init(): Promise<void>;
  put(window: MaintenanceWindow): Promise<void>;
  get(id: string): Promise<MaintenanceWindow | null>;
  delete(id: string): Promise<boolean>;
  list(query: MaintenanceQuery): Promise<Page<MaintenanceWindow>>;
  /** Every window overlapping [from, to), for accounting. */
  overlapping(from: number, to: number): Promise<MaintenanceWindow[]>;
}
