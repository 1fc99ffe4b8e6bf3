/**
 * Domain records kept by the index store. Times are epoch milliseconds, UTC.
 * IDs are GB/T 28181 20-digit codes.
 */

export type GbVersion = '2016' | '2022' | 'unknown';
export type SipTransportName = 'udp' | 'tcp';

export interface Device {
  deviceId: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  /** Device type from digits 11-13 of the ID (e.g. "132" IPC, "118" NVR), see src/sip/gbid.ts. */
  typeCode: string;
  gbVersion: GbVersion;
  /** Per-device charset for our XML bodies and for decoding theirs when set (e.g. "GB2312"); null = auto. */
  charset: string | null;
  /** Per-device digest password; null = the global password. */
  password: string | null;
  online: boolean;
  transport: SipTransportName;
  /** Where the device's packets last came from (NAT-aware: received/rport, not Contact). */
  remoteAddress: string | null;
  remotePort: number | null;
  contact: string | null;
  expires: number | null;
  registeredAt: number | null;
  lastKeepaliveAt: number | null;
  channelCount: number;
  createdAt: number;
  updatedAt: number;
}

/** Fields that callers may set; createdAt/updatedAt are kept by the store. */
export type DeviceUpdate = Partial<Omit<Device, 'deviceId' | 'createdAt' | 'updatedAt'>>;

export type ChannelStatus = 'ON' | 'OFF' | 'UNKNOWN';

export interface Channel {
  deviceId: string;
  channelId: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  owner: string | null;
  civilCode: string | null;
  block: string | null;
  address: string | null;
  parental: boolean;
  parentId: string | null;
  businessGroupId: string | null;
  registerWay: number | null;
  secrecy: number | null;
  ipAddress: string | null;
  port: number | null;
  status: ChannelStatus;
  longitude: number | null;
  latitude: number | null;
  ptzType: number | null;
  /** Type from digits 11-13 of the channel ID (131/132 camera, 215 business group, 216 virtual org, 134 alarm in). */
  typeCode: string;
  /** False once the channel is missing from a complete catalog answer: marked, not dropped. */
  present: boolean;
  createdAt: number;
  updatedAt: number;
}

export type ChannelUpdate = Omit<Channel, 'deviceId' | 'present' | 'createdAt' | 'updatedAt'>;

export type DeviceEventType = 'online' | 'offline';

/** Why a device went online or offline; kept so that online-rate reports can explain their figures. */
export type DeviceEventReason =
  | 'register'
  | 'keepalive'
  | 'unregister'
  | 'registration-expired'
  | 'keepalive-timeout'
  | 'deleted'
  | 'server-restart';

export interface DeviceEvent {
  deviceId: string;
  type: DeviceEventType;
  reason: DeviceEventReason;
  time: number;
  detail?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface DeviceQuery {
  online?: boolean;
  typeCode?: string;
  /** Matches deviceId, name, manufacturer or model (substring, case-insensitive). */
  keyword?: string;
  offset: number;
  limit: number;
}

export interface ChannelQuery {
  deviceId?: string;
  parentId?: string;
  status?: ChannelStatus;
  keyword?: string;
  includeMissing?: boolean;
  offset: number;
  limit: number;
}

export interface DeviceEventQuery {
  deviceId?: string;
  from: number;
  to: number;
  type?: DeviceEventType;
  limit: number;
}

export interface ChannelSyncResult {
  added: number;
  updated: number;
  /** Channels that were present before and are missing from this complete catalog. */
  missing: number;
}

/**
 * One recorded file of a channel's footage: an MPEG-TS file cut at key frames (about 60 s), under
 * `<footageDir>/<channelId>/<YYYY-MM-DD>/`. The index store keeps one row per file.
 */
export interface RecordingSegment {
  /** Chosen by the recorder; re-adding a segment with a known id replaces it. */
  id: string;
  channelId: string;
  deviceId: string;
  /** First media time in the file, ms UTC. */
  start: number;
  /** Exclusive end, ms UTC: the segment covers [start, end). */
  end: number;
  /** Relative to the footage root (never absolute, so the root can move). */
  path: string;
  bytes: number;
  videoCodec: string;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  /** Locked footage (evidence) is never deleted by retention nor by deleteRecordingSegments. */
  locked: boolean;
  createdAt: number;
}

/** Segments of one channel overlapping [from, to), ms UTC. */
export interface RecordingQuery {
  channelId: string;
  from: number;
  to: number;
  /** At most this many segments (the earliest); unset = all. */
  limit?: number;
}

export interface RecordingTimeRange {
  start: number;
  end: number;
}

/** What footage a channel has in a window: merged ranges, the holes between them, and totals. */
export interface RecordingCoverage {
  /** Recorded time, merged and clipped to the window, in order. */
  ranges: RecordingTimeRange[];
  /** The rest of the window: its complement within [from, to), in order. */
  gaps: RecordingTimeRange[];
  /** Segments overlapping the window, counted whole. */
  segments: number;
  /** Their bytes, counted whole (not prorated to the window). */
  bytes: number;
}

export interface RecordingTotals {
  segments: number;
  bytes: number;
}

/** A weekly window of a recording schedule, in the district's local time (config `timezone`). */
export interface RecordingWindow {
  /** 0 Sunday .. 6 Saturday. */
  day: number;
  /** 'HH:MM'; end may be '24:00'. A window that crosses midnight is two windows. */
  start: string;
  end: string;
}

/** What a channel's recording plan says: always, or in weekly windows; and how long footage stays. */
export interface RecordingPlanInput {
  enabled: boolean;
  mode: 'continuous' | 'schedule';
  windows: RecordingWindow[];
  /** Days the channel's footage is kept; null = the global default. */
  retentionDays: number | null;
}

export interface RecordingPlan extends RecordingPlanInput {
  channelId: string;
  updatedAt: number;
}
