import type { Channel, ChannelUpdate, Device, DeviceEvent, DeviceEventReason, DeviceEventType } from '../types';

/** SQLite has no boolean: these are the stored row shapes, with 0/1 integers for the flags. */
export type DeviceRow = Omit<Device, 'online'> & { online: number };
export type ChannelRow = Omit<Channel, 'parental' | 'present'> & { parental: number; present: number };
export interface DeviceEventRow {
  deviceId: string;
  type: string;
  reason: string;
  time: number;
  detail: string | null;
}

/** Column order for inserts; the same names as the record fields, so rows map one to one. */
export const DEVICE_COLUMNS = [
  'deviceId', 'name', 'manufacturer', 'model', 'firmware', 'typeCode', 'gbVersion', 'charset', 'password',
  'online', 'transport', 'remoteAddress', 'remotePort', 'contact', 'expires', 'registeredAt', 'lastKeepaliveAt',
  'channelCount', 'createdAt', 'updatedAt',
] as const satisfies readonly (keyof Device)[];

export const CHANNEL_COLUMNS = [
  'deviceId', 'channelId', 'name', 'manufacturer', 'model', 'owner', 'civilCode', 'block', 'address', 'parental',
  'parentId', 'businessGroupId', 'registerWay', 'secrecy', 'ipAddress', 'port', 'status', 'longitude', 'latitude',
  'ptzType', 'typeCode', 'present', 'createdAt', 'updatedAt',
] as const satisfies readonly (keyof Channel)[];

export function deviceToRow(device: Device): DeviceRow {
  return { ...device, online: device.online ? 1 : 0 };
}

export function rowToDevice(row: DeviceRow): Device {
  return { ...row, online: row.online === 1 };
}

export const CHANNEL_ID_INDEX = CHANNEL_COLUMNS.indexOf('channelId');
export const PRESENT_INDEX = CHANNEL_COLUMNS.indexOf('present');
const CREATED_AT_INDEX = CHANNEL_COLUMNS.indexOf('createdAt');
const UPDATED_AT_INDEX = CHANNEL_COLUMNS.indexOf('updatedAt');

/** A present channel's column values in CHANNEL_COLUMNS order (positional binding, raw-row comparison). */
export function channelValues(deviceId: string, c: ChannelUpdate, now: number): unknown[] {
  return [
    deviceId, c.channelId, c.name, c.manufacturer, c.model, c.owner, c.civilCode, c.block, c.address,
    c.parental ? 1 : 0, c.parentId, c.businessGroupId, c.registerWay, c.secrecy, c.ipAddress, c.port, c.status,
    c.longitude, c.latitude, c.ptzType, c.typeCode, 1, now, now,
  ];
}

/** True when every stored column but the timestamps is the same. */
export function sameChannelValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < CHANNEL_COLUMNS.length; i++) {
    if (i === CREATED_AT_INDEX || i === UPDATED_AT_INDEX) continue;
    if (a[i] !== b[i]) return false;
  }
  return true;
}

export const UPSERT_CHANNEL_SQL =
  `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')}) VALUES (${CHANNEL_COLUMNS.map(() => '?').join(', ')}) ` +
  `ON CONFLICT (deviceId, channelId) DO UPDATE SET ${CHANNEL_COLUMNS.filter(
    (c) => c !== 'deviceId' && c !== 'channelId' && c !== 'createdAt',
  )
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

export function rowToChannel(row: ChannelRow): Channel {
  return { ...row, parental: row.parental === 1, present: row.present === 1 };
}

export function rowToDeviceEvent(row: DeviceEventRow): DeviceEvent {
  const event: DeviceEvent = {
    deviceId: row.deviceId,
    type: row.type as DeviceEventType,
    reason: row.reason as DeviceEventReason,
    time: row.time,
  };
  if (row.detail !== null) event.detail = row.detail;
  return event;
}

/** A LIKE pattern that matches `keyword` as a plain substring (use with ESCAPE '\'). */
export function likeSubstring(keyword: string): string {
  return `%${keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
