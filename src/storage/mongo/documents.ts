import { CHANNEL_UPDATE_FIELDS, defaultDevice, definedDeviceFields, gbTypeCode } from '../records';
import type { Channel, Device, DeviceEvent, DeviceEventReason, DeviceEventType, RecordingSegment } from '../types';
import type { DeviceEventDoc, RecordingSegmentDoc } from './schemas';

/**
 * Documents read back from MongoDB, made into complete records: a document written by an older
 * build (or by hand) may lack a field, which then reads as its default rather than undefined.
 */

export function toDevice(doc: Partial<Device> & { deviceId: string }): Device {
  const createdAt = doc.createdAt ?? 0;
  const device: Device = { ...defaultDevice(doc.deviceId, createdAt), updatedAt: doc.updatedAt ?? createdAt };
  Object.assign(device, definedDeviceFields(doc));
  return device;
}

export function toChannel(doc: Partial<Channel> & { deviceId: string; channelId: string }): Channel {
  const channel: Channel = {
    deviceId: doc.deviceId,
    channelId: doc.channelId,
    name: null,
    manufacturer: null,
    model: null,
    owner: null,
    civilCode: null,
    block: null,
    address: null,
    parental: false,
    parentId: null,
    businessGroupId: null,
    registerWay: null,
    secrecy: null,
    ipAddress: null,
    port: null,
    status: 'UNKNOWN',
    longitude: null,
    latitude: null,
    ptzType: null,
    typeCode: gbTypeCode(doc.channelId),
    present: doc.present ?? true,
    createdAt: doc.createdAt ?? 0,
    updatedAt: doc.updatedAt ?? doc.createdAt ?? 0,
  };
  const target = channel as unknown as Record<string, unknown>;
  for (const field of CHANNEL_UPDATE_FIELDS) {
    const value = doc[field];
    if (value !== undefined) target[field] = value;
  }
  return channel;
}

export function toDeviceEvent(doc: DeviceEventDoc): DeviceEvent {
  const event: DeviceEvent = {
    deviceId: doc.deviceId,
    type: doc.type as DeviceEventType,
    reason: doc.reason as DeviceEventReason,
    time: doc.time,
  };
  if (doc.detail !== null && doc.detail !== undefined) event.detail = doc.detail;
  return event;
}

/** A segment document as a record: _id back to id, missing nullable fields null, locked a boolean. */
export function toRecordingSegment(doc: Partial<RecordingSegmentDoc> & { _id: string }): RecordingSegment {
  return {
    id: doc._id,
    channelId: doc.channelId ?? '',
    deviceId: doc.deviceId ?? '',
    start: doc.start ?? 0,
    end: doc.end ?? 0,
    path: doc.path ?? '',
    bytes: doc.bytes ?? 0,
    videoCodec: doc.videoCodec ?? '',
    audioCodec: doc.audioCodec ?? null,
    width: doc.width ?? null,
    height: doc.height ?? null,
    locked: doc.locked === true,
    createdAt: doc.createdAt ?? 0,
  };
}

/** The stored form of a checked segment: every field but id, which becomes _id. */
export function recordingSegmentFields(segment: RecordingSegment): Omit<RecordingSegmentDoc, '_id'> {
  const { id: _id, ...fields } = segment;
  return fields;
}
