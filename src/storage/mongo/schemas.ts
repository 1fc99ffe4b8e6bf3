import { Schema } from 'mongoose';
import type { Channel, Device, RecordingPlan, RecordingSegment } from '../types';

/**
 * Collections of the MongoDB index store. Documents have the record fields as they are (plus
 * MongoDB's _id, never returned); every nullable field defaults to null so that documents written
 * by older builds read back complete. Indexes mirror the SQLite ones.
 */

export interface DeviceEventDoc {
  deviceId: string;
  type: string;
  reason: string;
  time: number;
  detail: string | null;
}

const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };
const options = { versionKey: false, minimize: false, strict: true, autoIndex: false } as const;

export const deviceSchema = new Schema<Device>(
  {
    deviceId: { type: String, required: true },
    name: nullableString,
    manufacturer: nullableString,
    model: nullableString,
    firmware: nullableString,
    typeCode: { type: String, required: true },
    gbVersion: { type: String, required: true, enum: ['2016', '2022', 'unknown'] },
    charset: nullableString,
    password: nullableString,
    online: { type: Boolean, required: true },
    transport: { type: String, required: true, enum: ['udp', 'tcp'] },
    remoteAddress: nullableString,
    remotePort: nullableNumber,
    contact: nullableString,
    expires: nullableNumber,
    registeredAt: nullableNumber,
    lastKeepaliveAt: nullableNumber,
    channelCount: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'devices' },
);
deviceSchema.index({ deviceId: 1 }, { unique: true });
deviceSchema.index({ online: 1, deviceId: 1 });
deviceSchema.index({ typeCode: 1, deviceId: 1 });
deviceSchema.index({ online: 1, typeCode: 1, deviceId: 1 });

export const channelSchema = new Schema<Channel>(
  {
    deviceId: { type: String, required: true },
    channelId: { type: String, required: true },
    name: nullableString,
    manufacturer: nullableString,
    model: nullableString,
    owner: nullableString,
    civilCode: nullableString,
    block: nullableString,
    address: nullableString,
    parental: { type: Boolean, required: true },
    parentId: nullableString,
    businessGroupId: nullableString,
    registerWay: nullableNumber,
    secrecy: nullableNumber,
    ipAddress: nullableString,
    port: nullableNumber,
    status: { type: String, required: true, enum: ['ON', 'OFF', 'UNKNOWN'] },
    longitude: nullableNumber,
    latitude: nullableNumber,
    ptzType: nullableNumber,
    typeCode: { type: String, required: true },
    present: { type: Boolean, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'channels' },
);
channelSchema.index({ deviceId: 1, channelId: 1 }, { unique: true });
channelSchema.index({ deviceId: 1, present: 1, channelId: 1 });
channelSchema.index({ channelId: 1 });
channelSchema.index({ parentId: 1 });

export const deviceEventSchema = new Schema<DeviceEventDoc>(
  {
    deviceId: { type: String, required: true },
    type: { type: String, required: true },
    reason: { type: String, required: true },
    time: { type: Number, required: true },
    detail: nullableString,
  },
  { ...options, collection: 'device_events' },
);
deviceEventSchema.index({ deviceId: 1, time: 1 });
deviceEventSchema.index({ time: 1 });

/** A recording segment, its id as _id (the primary key MongoDB indexes anyway). */
export type RecordingSegmentDoc = Omit<RecordingSegment, 'id'> & { _id: string };

export const recordingSegmentSchema = new Schema<RecordingSegmentDoc>(
  {
    _id: { type: String, required: true },
    channelId: { type: String, required: true },
    deviceId: { type: String, required: true },
    start: { type: Number, required: true },
    end: { type: Number, required: true },
    path: { type: String, required: true },
    bytes: { type: Number, required: true },
    videoCodec: { type: String, required: true },
    audioCodec: nullableString,
    width: nullableNumber,
    height: nullableNumber,
    locked: { type: Boolean, required: true, default: false },
    createdAt: { type: Number, required: true },
  },
  { ...options, collection: 'recording_segments', id: false },
);
// As in SQLite: the overlap query is a bounded range on start (see recording_channels), the
// coverage query is covered by this index (start, end, bytes, no _id) and its order is the
// listing order (start, _id), so neither fetches documents to filter nor sorts in memory.
recordingSegmentSchema.index({ channelId: 1, start: 1, _id: 1, end: 1, bytes: 1 });
// What retention deletes next, overall and per channel.
recordingSegmentSchema.index({ locked: 1, end: 1, _id: 1 });
recordingSegmentSchema.index({ channelId: 1, locked: 1, end: 1, _id: 1 });

/** The longest segment ever stored per channel (_id = channelId): only grows, see the SQLite migration 2. */
export interface RecordingChannelDoc {
  _id: string;
  maxDurationMs: number;
}

export const recordingChannelSchema = new Schema<RecordingChannelDoc>(
  {
    _id: { type: String, required: true },
    maxDurationMs: { type: Number, required: true },
  },
  { ...options, collection: 'recording_channels', id: false },
);

export const recordingPlanSchema = new Schema<RecordingPlan>(
  {
    channelId: { type: String, required: true },
    enabled: { type: Boolean, required: true },
    mode: { type: String, required: true, enum: ['continuous', 'schedule'] },
    windows: { type: [{ _id: false, day: Number, start: String, end: String }], default: [] },
    retentionDays: nullableNumber,
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'recording_plans' },
);
recordingPlanSchema.index({ channelId: 1 }, { unique: true });
