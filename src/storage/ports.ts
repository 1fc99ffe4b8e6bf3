import type {
  Channel,
  ChannelQuery,
  ChannelSyncResult,
  ChannelUpdate,
  Device,
  DeviceEvent,
  DeviceEventQuery,
  DeviceQuery,
  DeviceUpdate,
  Page,
  RecordingCoverage,
  RecordingPlan,
  RecordingQuery,
  RecordingSegment,
  RecordingTotals,
} from './types';

/**
 * The index store: durable records (devices, channels, device events, recording segments; later alarms...).
 * Adapters: SQLite (embedded default, better-sqlite3) and MongoDB (mongoose, selected by MONGO_URL).
 * Every adapter passes test/storage/index-store.contract.ts.
 */
export interface IndexStore {
  readonly kind: 'sqlite' | 'mongodb';
  init(): Promise<void>;
  /** Flushes pending writes and closes. Idempotent. */
  close(): Promise<void>;

  /**
   * Creates the device when missing (defaults for unset fields) or merges the given fields.
   * Returns nothing: it runs on every registration, and reading the row back costs more than
   * the write (read it with getDevice when needed).
   */
  upsertDevice(deviceId: string, update: DeviceUpdate): Promise<void>;
  getDevice(deviceId: string): Promise<Device | null>;
  listDevices(query: DeviceQuery): Promise<Page<Device>>;
  /** Deletes the device and its channels (its events are kept for the accounting history). */
  deleteDevice(deviceId: string): Promise<boolean>;

  /**
   * Upserts a device's channels. With `complete: true` (a whole catalog answer) channels of the
   * device that are not in the list are marked present=false; they are never deleted here.
   * Updates the device's channelCount to the number of present channels.
   */
  syncChannels(deviceId: string, channels: ChannelUpdate[], options: { complete: boolean }): Promise<ChannelSyncResult>;
  /** A channel by ID; with deviceId, that device's channel (IDs can repeat across devices). */
  getChannel(channelId: string, deviceId?: string): Promise<Channel | null>;
  listChannels(query: ChannelQuery): Promise<Page<Channel>>;

  appendDeviceEvents(events: DeviceEvent[]): Promise<void>;
  /** Events with from <= time < to, oldest first. */
  listDeviceEvents(query: DeviceEventQuery): Promise<DeviceEvent[]>;

  /*
   * Recordings: one row per segment file. Windows are [from, to) in ms UTC; a segment overlaps
   * one when start < to and end > from (one ending exactly at from, or starting exactly at to,
   * does not). from === to is an empty window; from > to or a non-finite bound rejects with a
   * RangeError, as does a bad segment (see src/storage/recordings.ts: end after start, at most
   * 24 h long), before anything is written.
   */

  /**
   * Adds segments; a segment whose id is known replaces the stored one (so re-indexing a folder
   * is harmless), except that a locked segment stays locked: only setRecordingLock lifts a lock.
   * Several copies of one id in the array: the last wins. Atomic on SQLite.
   */
  addRecordingSegments(segments: RecordingSegment[]): Promise<void>;
  /**
   * Segments of the channel overlapping [from, to), ordered by start (then id), at most `limit`.
   * Page long windows with limit (next page from the last segment's end): a month of one channel
   * unpaged is ~43,000 rows, ~0.5 s on SQLite; an hour is ~0.5 ms.
   */
  listRecordingSegments(query: RecordingQuery): Promise<RecordingSegment[]>;
  /**
   * The channel's footage in [from, to): merged ranges clipped to the window, joining segments
   * whose gap is <= joinGapMs (default 2000), and the gaps, the complement within the window.
   * `limit` is ignored: coverage always spans the whole window. See recording-coverage.ts.
   */
  recordingCoverage(query: RecordingQuery & { joinGapMs?: number }): Promise<RecordingCoverage>;
  getRecordingSegment(id: string): Promise<RecordingSegment | null>;
  /** Deletes the unlocked ones of these segments (unknown ids are ignored); returns how many went. */
  deleteRecordingSegments(ids: string[]): Promise<number>;
  /**
   * What a retention sweeper deletes next: unlocked segments, the earliest end first (then id),
   * optionally of one channel and only those that end at or before `endBefore` (lie wholly before it).
   */
  oldestRecordingSegments(query: { limit: number; channelId?: string; endBefore?: number }): Promise<RecordingSegment[]>;
  /**
   * Locks (evidence: kept from retention and deletion) or unlocks the channel's segments that
   * overlap [from, to), whole segments; returns how many segments that is (all now in that state).
   */
  setRecordingLock(query: { channelId: string; from: number; to: number; locked: boolean }): Promise<number>;
  /** Segment count and bytes, of one channel or of all. */
  recordingTotals(channelId?: string): Promise<RecordingTotals>;

  /** Creates or replaces a channel's recording plan. */
  putRecordingPlan(plan: RecordingPlan): Promise<void>;
  getRecordingPlan(channelId: string): Promise<RecordingPlan | null>;
  /** Every plan, by channel ID. */
  listRecordingPlans(): Promise<RecordingPlan[]>;
  deleteRecordingPlan(channelId: string): Promise<boolean>;
}

/** A device's current registration, shared between signaling nodes. */
export interface Registration {
  deviceId: string;
  transport: 'udp' | 'tcp';
  /** Where the REGISTER came from (received/rport): answers and later requests go here. */
  address: string;
  port: number;
  contact: string;
  callId: string;
  registeredAt: number;
  expiresAt: number;
  lastSeenAt: number;
  /** Node that holds the device's signaling (for multi-node deployments). */
  nodeId: string;
}

/**
 * The state store: shared runtime state with expiry. Adapters: in-process (default) and Redis
 * (ioredis, selected by REDIS_URL). Every adapter passes test/storage/state-store.contract.ts.
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis';
  init(): Promise<void>;
  close(): Promise<void>;

  putRegistration(registration: Registration): Promise<void>;
  getRegistration(deviceId: string): Promise<Registration | null>;
  deleteRegistration(deviceId: string): Promise<void>;
  /** Updates lastSeenAt (and address/port when they changed); no-op when not registered. */
  touchRegistration(deviceId: string, at: number, peer?: { transport: 'udp' | 'tcp'; address: string; port: number }): Promise<void>;
  countRegistrations(): Promise<number>;

  /**
   * Liveness deadlines: the time after which a device is considered gone (registration expiry or
   * missed keepalives, whichever is earlier). setDeadline replaces the previous deadline.
   */
  setDeadline(deviceId: string, at: number): Promise<void>;
  clearDeadline(deviceId: string): Promise<void>;
  /** Removes and returns up to `limit` device IDs whose deadline is <= now (each returned once). */
  takeExpired(now: number, limit: number): Promise<string[]>;

  /**
   * Online state, shared by every node: sets the device's flag and returns what it was before
   * (null when never set). Atomic, so of several nodes seeing the same transition exactly one
   * sees the old value and records the event.
   */
  swapOnline(deviceId: string, online: boolean): Promise<boolean | null>;
  getOnline(deviceId: string): Promise<boolean | null>;
  forgetOnline(deviceId: string): Promise<void>;

  /** Stores a value that disappears after ttlMs. */
  putEphemeral(key: string, value: string, ttlMs: number): Promise<void>;
  getEphemeral(key: string): Promise<string | null>;
  deleteEphemeral(key: string): Promise<void>;
  /** Increments a counter that expires ttlMs after its first increment; returns the new value. */
  increment(key: string, ttlMs: number): Promise<number>;

  /** Exclusive lease (ports, SSRCs, sessions): true when acquired or already held by this owner. */
  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<void>;
}
