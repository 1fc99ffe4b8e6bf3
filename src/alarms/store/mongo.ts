import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { AlarmQuery, AlarmRecord, AlarmStore, PositionQuery, PositionRecord } from './port';

const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };
const options = { versionKey: false, minimize: false, strict: true, autoIndex: false } as const;

const alarmSchema = new Schema<AlarmRecord>(
  {
    id: { type: String, required: true },
    deviceId: { type: String, required: true },
    sourceId: { type: String, required: true },
    priority: nullableNumber,
    method: nullableNumber,
    type: nullableNumber,
    eventType: nullableNumber,
    time: { type: Number, required: true },
    timeText: nullableString,
    description: nullableString,
    longitude: nullableNumber,
    latitude: nullableNumber,
    extraInfo: { type: [String], default: [] },
    sn: nullableNumber,
    via: { type: String, required: true, enum: ['message', 'notify'] },
    receivedAt: { type: Number, required: true },
  },
  { ...options, collection: 'alarms' },
);
alarmSchema.index({ id: 1 }, { unique: true });
alarmSchema.index({ time: -1, id: -1 });
alarmSchema.index({ deviceId: 1, time: -1 });
alarmSchema.index({ sourceId: 1, time: -1 });

const positionSchema = new Schema<PositionRecord>(
  {
    deviceId: { type: String, required: true },
    reporterId: { type: String, required: true },
    time: { type: Number, required: true },
    longitude: { type: Number, required: true },
    latitude: { type: Number, required: true },
    speed: nullableNumber,
    direction: nullableNumber,
    altitude: nullableNumber,
    receivedAt: { type: Number, required: true },
  },
  { ...options, collection: 'positions' },
);
positionSchema.index({ deviceId: 1, time: 1 });
positionSchema.index({ reporterId: 1, time: 1 });
positionSchema.index({ time: 1 });

const NO_ID = { _id: 0 } as const;
type Filter = Record<string, unknown>;

function modelOf<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  const existing = connection.models[name];
  return existing ? (existing as Model<T>) : connection.model<T>(name, schema);
}

/** Alarms and positions in the index store's MongoDB database. */
export class MongoAlarmStore implements AlarmStore {
  private readonly alarms: Model<AlarmRecord>;
  private readonly positions: Model<PositionRecord>;

  constructor(connection: Connection) {
    this.alarms = modelOf(connection, 'Alarm', alarmSchema);
    this.positions = modelOf(connection, 'Position', positionSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.alarms.createIndexes(), this.positions.createIndexes()]);
  }

  async addAlarm(alarm: AlarmRecord): Promise<void> {
    await this.alarms.create(alarm);
  }

  async getAlarm(id: string): Promise<AlarmRecord | null> {
    return this.alarms.findOne({ id }, NO_ID).lean<AlarmRecord>().exec();
  }

  async listAlarms(q: AlarmQuery): Promise<Page<AlarmRecord>> {
    const filter: Filter = {};
    if (q.deviceId !== undefined) filter.$or = [{ deviceId: q.deviceId }, { sourceId: q.deviceId }];
    if (q.type !== undefined) filter.type = q.type;
    if (q.priority !== undefined) filter.priority = q.priority;
    if (q.method !== undefined) filter.method = q.method;
    if (q.from !== undefined || q.to !== undefined) {
      filter.time = { ...(q.from !== undefined ? { $gte: q.from } : {}), ...(q.to !== undefined ? { $lt: q.to } : {}) };
    }
    const [items, total] = await Promise.all([
      this.alarms.find(filter, NO_ID).sort({ time: -1, id: -1 }).skip(q.offset).limit(q.limit).lean<AlarmRecord[]>().exec(),
      this.alarms.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  async addPositions(positions: PositionRecord[]): Promise<void> {
    if (positions.length === 0) return;
    await this.positions.insertMany(positions, { ordered: false });
  }

  async listPositions(q: PositionQuery): Promise<PositionRecord[]> {
    const time = { $gte: q.from, $lt: q.to };
    return this.positions
      .find({ $or: [{ deviceId: q.deviceId, time }, { reporterId: q.deviceId, time }] }, NO_ID)
      .sort({ time: 1, deviceId: 1 })
      .limit(q.limit)
      .lean<PositionRecord[]>()
      .exec();
  }

  async prune(before: number): Promise<number> {
    const [a, p] = await Promise.all([this.alarms.deleteMany({ time: { $lt: before } }).exec(), this.positions.deleteMany({ time: { $lt: before } }).exec()]);
    return a.deletedCount + p.deletedCount;
  }
}
