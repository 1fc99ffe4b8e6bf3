/**
 * Upper platforms (the city platform and others) that gbvms registers with as a lower platform,
 * and what each of them may see. Times are epoch ms UTC.
 */

export type UpperTransport = 'udp' | 'tcp';
export type UpperCharset = 'GB2312' | 'UTF-8';
/** Channel IDs the upper sees: ours as they are, or the IDs mapped for that upper (share mappedId). */
export type UpperIdMode = 'own' | 'mapped';
export type RecordSource = 'platform' | 'device';

export interface UpperPlatform {
  /** The upper platform's 20-digit SIP server ID. */
  upperId: string;
  name: string | null;
  /** Its SIP domain (realm of its registrar); default: the first 10 digits of upperId. */
  domain: string;
  host: string;
  port: number;
  transport: UpperTransport;
  /** Digest password it gave us; null when it does not challenge. */
  password: string | null;
  /** Our 20-digit ID towards it (From user and digest username); null: the platform's SIP ID. */
  localId: string | null;
  registerExpiresSec: number;
  keepaliveIntervalSec: number;
  /** Keepalives without an answer before the link counts as down and we register again. */
  keepaliveTimeoutCount: number;
  charset: UpperCharset;
  /** Items per Catalog (and RecordInfo) Response MESSAGE: many platforms refuse large MESSAGEs. */
  catalogItemsPerMessage: number;
  idMode: UpperIdMode;
  /** Where the upper's RecordInfo and Playback are served from. */
  recordSource: RecordSource;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What callers may set on create; defaults fill the rest. */
export type UpperPlatformInput = Pick<UpperPlatform, 'upperId' | 'host' | 'port'> &
  Partial<Omit<UpperPlatform, 'upperId' | 'host' | 'port' | 'createdAt' | 'updatedAt'>>;

export type UpperPlatformPatch = Partial<Omit<UpperPlatform, 'upperId' | 'createdAt' | 'updatedAt'>>;

/**
 * One thing shared with an upper: a channel; an organisation node (business group 215 or virtual
 * organisation 216, with every channel below it); or a device ID meaning all its channels.
 */
export type ShareKind = 'channel' | 'organisation' | 'device';

export interface UpperShare {
  upperId: string;
  /** Our ID of the channel, organisation node or device. */
  localId: string;
  kind: ShareKind;
  /** For a channel: the device it belongs to (channel IDs can repeat across devices); null: whichever has it. */
  deviceId: string | null;
  /** The ID the upper knows it by (idMode 'mapped'); null: our own ID. */
  mappedId: string | null;
  createdAt: number;
}

export type UpperShareInput = Pick<UpperShare, 'localId'> & Partial<Pick<UpperShare, 'kind' | 'mappedId' | 'deviceId'>>;

export const UPPER_DEFAULTS = {
  transport: 'udp',
  password: null,
  localId: null,
  name: null,
  registerExpiresSec: 3600,
  keepaliveIntervalSec: 60,
  keepaliveTimeoutCount: 3,
  charset: 'GB2312',
  catalogItemsPerMessage: 10,
  idMode: 'own',
  recordSource: 'platform',
  enabled: true,
} as const satisfies Partial<UpperPlatform>;

/** An upper with every default applied. */
export function withUpperDefaults(input: UpperPlatformInput, now: number): UpperPlatform {
  return {
    upperId: input.upperId,
    name: input.name ?? UPPER_DEFAULTS.name,
    domain: input.domain ?? input.upperId.slice(0, 10),
    host: input.host,
    port: input.port,
    transport: input.transport ?? UPPER_DEFAULTS.transport,
    password: input.password ?? UPPER_DEFAULTS.password,
    localId: input.localId ?? UPPER_DEFAULTS.localId,
    registerExpiresSec: input.registerExpiresSec ?? UPPER_DEFAULTS.registerExpiresSec,
    keepaliveIntervalSec: input.keepaliveIntervalSec ?? UPPER_DEFAULTS.keepaliveIntervalSec,
    keepaliveTimeoutCount: input.keepaliveTimeoutCount ?? UPPER_DEFAULTS.keepaliveTimeoutCount,
    charset: input.charset ?? UPPER_DEFAULTS.charset,
    catalogItemsPerMessage: input.catalogItemsPerMessage ?? UPPER_DEFAULTS.catalogItemsPerMessage,
    idMode: input.idMode ?? UPPER_DEFAULTS.idMode,
    recordSource: input.recordSource ?? UPPER_DEFAULTS.recordSource,
    enabled: input.enabled ?? UPPER_DEFAULTS.enabled,
    createdAt: now,
    updatedAt: now,
  };
}

/** The kind a share of this ID has when none is given: by the type digits of the code. */
export function defaultShareKind(localId: string): ShareKind {
  const type = localId.length === 20 ? localId.slice(10, 13) : '';
  if (type === '215' || type === '216') return 'organisation';
  // DVR, NVR, HVR, door host, and an IPC (whose one channel may or may not carry the device's ID).
  if (type === '111' || type === '118' || type === '130' || type === '124' || type === '132') return 'device';
  return 'channel';
}
