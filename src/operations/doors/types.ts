import type { Page } from '../../storage/types';

/** What happened at the door: it was opened (door sensor), unlocked, or an unlock was refused. */
export type DoorEventKind = 'door-opened' | 'unlock' | 'unlock-failed';
export type DoorUnlockMethod = 'card' | 'face' | 'app' | 'password' | 'call' | 'fingerprint' | 'remote';
export type DoorDirection = 'in' | 'out';

/** A door-entry event as it arrives (GB28181 Alarm from a door host, or the REST ingest). */
export interface DoorEventInput {
  /** The event's own ID (gateway's, or derived from device, SN and time for SIP): the idempotency key. */
  eventId: string;
  source: 'sip' | 'rest';
  /** The door host (or a door channel of it). */
  deviceId: string;
  doorId: string | null;
  time: number;
  kind: DoorEventKind;
  method: DoorUnlockMethod | null;
  direction: DoorDirection | null;
  cardNumber: string | null;
  personId: string | null;
  personName: string | null;
  /** Photo bytes (decoded from base64); stored as a file. */
  photo: Buffer | null;
  /** Free text as the device described it. */
  description: string | null;
}

export interface DoorRecord extends Omit<DoorEventInput, 'photo'> {
  id: string;
  buildingId: string;
  receivedAt: number;
  /** Photo file name under the photo folder, null when none was sent. */
  photo: string | null;
  /** The building's camera channels at the time (footage links are built from them when read). */
  cameraChannels: string[];
}

export interface DoorRecordQuery {
  buildingId?: string;
  personId?: string;
  cardNumber?: string;
  method?: DoorUnlockMethod;
  /** time in [from, to). */
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

/** Door records. Adapters: store-sqlite.ts, store-mongo.ts. */
export interface DoorRecordStore {
  init(): Promise<void>;
  /** Inserts unless a record with the same eventId exists; returns the stored record and whether it is new. */
  insert(record: DoorRecord): Promise<{ record: DoorRecord; created: boolean }>;
  get(id: string): Promise<DoorRecord | null>;
  /** Newest first (by event time, then id). */
  list(query: DoorRecordQuery): Promise<Page<DoorRecord>>;
  /** Deletes up to `limit` records with time < before; returns them (the caller deletes their photos). */
  deleteOlderThan(before: number, limit: number): Promise<DoorRecord[]>;
}
