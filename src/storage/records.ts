import type { ChannelUpdate, Device, DeviceUpdate } from './types';

/**
 * Record shapes shared by the index-store adapters: the defaults of a new device, the field lists
 * that writes may touch (so adapters never build a query from an unchecked key) and small helpers.
 */

/** Digits 11-13 of a GB/T 28181 ID: the device or channel type (e.g. "132" IPC, "118" NVR). */
export function gbTypeCode(id: string): string {
  return id.length >= 13 ? id.slice(10, 13) : '';
}

export function defaultDevice(deviceId: string, now: number): Device {
  return {
    deviceId,
    name: null,
    manufacturer: null,
    model: null,
    firmware: null,
    typeCode: gbTypeCode(deviceId),
    gbVersion: 'unknown',
    charset: null,
    password: null,
    online: false,
    transport: 'udp',
    remoteAddress: null,
    remotePort: null,
    contact: null,
    expires: null,
    registeredAt: null,
    lastKeepaliveAt: null,
    channelCount: 0,
    createdAt: now,
    updatedAt: now,
  };
}

// Records (not arrays) so that the compiler checks the lists cover every field of the types.
const deviceUpdateFieldSet: Record<keyof DeviceUpdate, true> = {
  name: true,
  manufacturer: true,
  model: true,
  firmware: true,
  typeCode: true,
  gbVersion: true,
  charset: true,
  password: true,
  online: true,
  transport: true,
  remoteAddress: true,
  remotePort: true,
  contact: true,
  expires: true,
  registeredAt: true,
  lastKeepaliveAt: true,
  channelCount: true,
};

const channelUpdateFieldSet: Record<keyof ChannelUpdate, true> = {
  channelId: true,
  name: true,
  manufacturer: true,
  model: true,
  owner: true,
  civilCode: true,
  block: true,
  address: true,
  parental: true,
  parentId: true,
  businessGroupId: true,
  registerWay: true,
  secrecy: true,
  ipAddress: true,
  port: true,
  status: true,
  longitude: true,
  latitude: true,
  ptzType: true,
  typeCode: true,
};

export const DEVICE_UPDATE_FIELDS = Object.keys(deviceUpdateFieldSet) as (keyof DeviceUpdate)[];
export const CHANNEL_UPDATE_FIELDS = Object.keys(channelUpdateFieldSet) as (keyof ChannelUpdate)[];

/** The known fields of an update whose value is not undefined (undefined means "leave as is"). */
export function definedDeviceFields(update: DeviceUpdate): DeviceUpdate {
  const out: Record<string, unknown> = {};
  for (const field of DEVICE_UPDATE_FIELDS) {
    const value = update[field];
    if (value !== undefined) out[field] = value;
  }
  return out as DeviceUpdate;
}

/**
 * A channel from a catalog answer with every nullable field present: devices omit many fields and
 * callers may hand us `undefined` where the type says null.
 */
export function normalizeChannelUpdate(update: ChannelUpdate): ChannelUpdate {
  return {
    channelId: update.channelId,
    name: update.name ?? null,
    manufacturer: update.manufacturer ?? null,
    model: update.model ?? null,
    owner: update.owner ?? null,
    civilCode: update.civilCode ?? null,
    block: update.block ?? null,
    address: update.address ?? null,
    parental: update.parental === true,
    parentId: update.parentId ?? null,
    businessGroupId: update.businessGroupId ?? null,
    registerWay: update.registerWay ?? null,
    secrecy: update.secrecy ?? null,
    ipAddress: update.ipAddress ?? null,
    port: update.port ?? null,
    status: update.status ?? 'UNKNOWN',
    longitude: update.longitude ?? null,
    latitude: update.latitude ?? null,
    ptzType: update.ptzType ?? null,
    typeCode: update.typeCode ?? gbTypeCode(update.channelId),
  };
}

/** Last occurrence wins: devices repeat channels across catalog pages. */
export function dedupeChannels(channels: ChannelUpdate[]): ChannelUpdate[] {
  const byId = new Map<string, ChannelUpdate>();
  for (const channel of channels) byId.set(channel.channelId, normalizeChannelUpdate(channel));
  return [...byId.values()];
}
