import type { Page } from '../../storage/types';

/** An alarm a device reported (Notify Alarm), as stored. Times are epoch ms UTC. */
export interface AlarmRecord {
  /** Time-ordered, unique: 'al' + base-36 time + random hex. */
  id: string;
  /** The registered device that sent it. */
  deviceId: string;
  /** The alarm source named in the body (the device itself, a channel or an alarm input). */
  sourceId: string;
  /** 1-4, 1 the most urgent. */
  priority: number | null;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  method: number | null;
  /** Alarm type within the method (2022 Info/AlarmType). */
  type: number | null;
  /** AlarmTypeParam/EventType (1 entering, 2 leaving). */
  eventType: number | null;
  /** AlarmTime; the receive time when the device's was missing or unreadable. */
  time: number;
  /** AlarmTime as the device wrote it. */
  timeText: string | null;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
  extraInfo: string[];
  sn: number | null;
  /** MESSAGE (9.4) or NOTIFY inside an alarm subscription (9.11). */
  via: 'message' | 'notify';
  receivedAt: number;
}

export interface AlarmQuery {
  /** The reporting device or the alarm source. */
  deviceId?: string;
  type?: number;
  priority?: number;
  method?: number;
  /** time >= from */
  from?: number;
  /** time < to */
  to?: number;
  offset: number;
  limit: number;
}

/** One position of a mobile device's track. */
export interface PositionRecord {
  /** The mobile device (or channel) the position is of. */
  deviceId: string;
  /** The registered device that reported it (a platform or NVR may report for others). */
  reporterId: string;
  time: number;
  longitude: number;
  latitude: number;
  speed: number | null;
  direction: number | null;
  altitude: number | null;
  receivedAt: number;
}

export interface PositionQuery {
  /** Positions of this device, or reported by it. */
  deviceId: string;
  /** time >= from */
  from: number;
  /** time < to */
  to: number;
  limit: number;
}

/**
 * Alarms and mobile-device tracks, kept in the index store's database (SQLite tables `alarms`,
 * `positions` from migration 5; MongoDB collections `alarms`, `positions`). Every adapter passes
 * test/alarms/alarm-store.contract.ts.
 */
export interface AlarmStore {
  init(): Promise<void>;
  addAlarm(alarm: AlarmRecord): Promise<void>;
  getAlarm(id: string): Promise<AlarmRecord | null>;
  /** Newest first (time, then id, descending). */
  listAlarms(query: AlarmQuery): Promise<Page<AlarmRecord>>;
  addPositions(positions: PositionRecord[]): Promise<void>;
  /** Oldest first, at most `limit`. */
  listPositions(query: PositionQuery): Promise<PositionRecord[]>;
  /** Deletes alarms and positions older than `before` (time); returns how many rows went. */
  prune(before: number): Promise<number>;
}
