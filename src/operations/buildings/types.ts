import type { Building, BuildingDirectory, BuildingState } from '../building-directory';
import type { Page } from '../../storage/types';
import type { BuildingMembership } from './membership';

/** One entry of a building's state history: the state it entered at `since` (ms UTC). */
export interface BuildingStateChange {
  state: BuildingState;
  since: number;
}

/** A building as the store keeps it: the directory's view plus its state history. */
export interface StoredBuilding extends Building {
  stateSince: number;
  /** Every state the building has been in, oldest first; the last entry is the current state. */
  stateHistory: BuildingStateChange[];
}

/** What a caller gives to create or replace a building (the store keeps times and history). */
export interface BuildingInput extends Omit<Building, 'createdAt' | 'updatedAt'> {
  /** When the state took effect; default: now when the state changes (or the building is new). */
  stateSince?: number;
}

export interface BuildingQuery {
  street?: string;
  community?: string;
  state?: BuildingState;
  line?: string;
  /** Substring of the building ID, name or address, or a device ID of the building. */
  keyword?: string;
  offset: number;
  limit: number;
}

/** Why a write was refused; the API maps these to 404/409. */
export class BuildingConflictError extends Error {
  override readonly name = 'BuildingConflictError';
  constructor(
    message: string,
    readonly kind: 'exists' | 'device-taken' | 'not-found',
  ) {
    super(message);
  }
}

/**
 * The building store: buildings with their devices (a device belongs to at most one building,
 * which the store enforces) and their state history. Adapters: SQLite and MongoDB, both passing
 * test/operations/buildings/building-store.contract.ts.
 */
export interface BuildingStore extends BuildingDirectory {
  init(): Promise<void>;
  getBuilding(buildingId: string): Promise<StoredBuilding | null>;
  buildingOfDevice(deviceId: string): Promise<StoredBuilding | null>;
  buildingsOnLine(line: string): Promise<StoredBuilding[]>;
  listBuildings(query: BuildingQuery): Promise<Page<StoredBuilding>>;
  /** Every building, ordered by ID (10,000 buildings read in tens of milliseconds). */
  allBuildings(): Promise<StoredBuilding[]>;
  /** The owners of these devices: device ID -> building ID (devices in no building are absent). */
  ownersOf(deviceIds: readonly string[]): Promise<Map<string, string>>;
  /** Creates a building; BuildingConflictError when the ID exists or a device is in another building. */
  createBuilding(input: BuildingInput, now: number): Promise<StoredBuilding>;
  /** Replaces a building's fields and devices; BuildingConflictError when missing or a device is taken. */
  replaceBuilding(input: BuildingInput, now: number): Promise<StoredBuilding>;
  deleteBuilding(buildingId: string): Promise<boolean>;
  /**
   * Writes many buildings in one transaction: new ones are created, known ones replaced. All or
   * nothing: a conflict (a device held by a building outside the batch) rolls everything back.
   */
  writeBuildings(inputs: readonly BuildingInput[], now: number): Promise<{ created: number; updated: number }>;
  /** Every membership that overlaps [from, to), of buildings that exist or once did. */
  membershipsDuring(from: number, to: number): Promise<BuildingMembership[]>;
}

/**
 * The state history after `input`: one entry more when the state changes, the last entry's start
 * corrected when the same state comes with another stateSince (a demolition entered late, with
 * its real date). A start before the previous entry's cannot be placed: the reason comes back.
 */
export function nextStateHistory(input: BuildingInput, previous: StoredBuilding | null, now: number): BuildingStateChange[] | string {
  const history = previous ? [...previous.stateHistory] : [];
  const last = history[history.length - 1];
  if (!last || last.state !== input.state) {
    const since = input.stateSince ?? now;
    if (last && since < last.since) return `stateSince must not be before ${new Date(last.since).toISOString()}, when the building became ${last.state}`;
    history.push({ state: input.state, since });
  } else if (input.stateSince !== undefined && input.stateSince !== last.since) {
    const before = history[history.length - 2];
    if (before && input.stateSince < before.since) return `stateSince must not be before ${new Date(before.since).toISOString()}, when the building became ${before.state}`;
    history[history.length - 1] = { state: last.state, since: input.stateSince };
  }
  return history;
}

/** The stored form of `input` (its history checked with nextStateHistory first). */
export function toStoredBuilding(input: BuildingInput, previous: StoredBuilding | null, now: number): StoredBuilding {
  const next = nextStateHistory(input, previous, now);
  if (typeof next === 'string') throw new RangeError(next);
  const current = next[next.length - 1] ?? { state: input.state, since: now };
  return {
    buildingId: input.buildingId,
    name: input.name,
    address: input.address,
    street: input.street,
    community: input.community,
    civilCode: input.civilCode,
    longitude: input.longitude,
    latitude: input.latitude,
    state: input.state,
    stateSince: current.since,
    stateHistory: next,
    line: input.line,
    devices: input.devices.map((d) => ({ deviceId: d.deviceId, role: d.role })),
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
}
