/** Where a picture came from: uploaded by the device (GB/T 28181-2022 snapshot) or cut from the live stream by FFmpeg. */
export type SnapshotSource = 'device' | 'stream';

/** One stored picture of a channel. Times are ms UTC. */
export interface Snapshot {
  id: string;
  channelId: string;
  deviceId: string;
  /** When the picture was stored (the device's own time is not trusted). */
  time: number;
  source: SnapshotSource;
  bytes: number;
  width: number | null;
  height: number | null;
  /** Relative to the snapshots folder: `<channelId>/<YYYY-MM-DD>/<id>.jpg`. */
  path: string;
  /** Device snapshots: the SessionID of the request and the device's SnapShotFileID when it named one. */
  sessionId: string | null;
  fileId: string | null;
}

export interface SnapshotQuery {
  channelId: string;
  /** Inclusive bounds on `time`. */
  from?: number;
  to?: number;
  limit: number;
}

/** The snapshots' own index (not part of IndexStore): SQLite or MongoDB next to the core index. */
export interface SnapshotStore {
  init(): Promise<void>;
  add(snapshot: Snapshot): Promise<void>;
  get(id: string): Promise<Snapshot | null>;
  /** Newest first. */
  list(query: SnapshotQuery): Promise<Snapshot[]>;
  /** Removes up to `limit` snapshots older than `before` (oldest first) and returns them (their files are the caller's). */
  removeOlderThan(before: number, limit: number): Promise<Snapshot[]>;
  /** Removes the oldest snapshots of a channel beyond its newest `keep` and returns them. */
  trimChannel(channelId: string, keep: number): Promise<Snapshot[]>;
}
