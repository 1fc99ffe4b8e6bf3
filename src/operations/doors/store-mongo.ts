import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { DoorRecord, DoorRecordQuery, DoorRecordStore } from './types';

const nullableString = { type: String, default: null };

const schema = new Schema<DoorRecord>(
  {
    id: { type: String, required: true },
    eventId: { type: String, required: true },
    source: { type: String, required: true },
    deviceId: { type: String, required: true },
    doorId: nullableString,
    buildingId: { type: String, required: true },
    time: { type: Number, required: true },
    receivedAt: { type: Number, required: true },
    kind: { type: String, required: true },
    method: nullableString,
    direction: nullableString,
    cardNumber: nullableString,
    personId: nullableString,
    personName: nullableString,
    description: nullableString,
    photo: nullableString,
    cameraChannels: { type: [String], default: [] },
  },
  { versionKey: false, minimize: false, strict: true, autoIndex: false, collection: 'door_records' },
);
schema.index({ id: 1 }, { unique: true });
schema.index({ eventId: 1 }, { unique: true });
schema.index({ time: -1, id: -1 });
schema.index({ buildingId: 1, time: -1 });
schema.index({ personId: 1, time: -1 }, { sparse: true });
schema.index({ cardNumber: 1, time: -1 }, { sparse: true });

/** Door records in MongoDB (collection door_records; the unique eventId index makes ingest idempotent). */
export class MongoDoorRecordStore implements DoorRecordStore {
  private readonly model: Model<DoorRecord>;

  constructor(connection: Connection) {
    this.model = connection.model<DoorRecord>('DoorRecord', schema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async insert(record: DoorRecord): Promise<{ record: DoorRecord; created: boolean }> {
    try {
      const result = await this.model.updateOne({ eventId: record.eventId }, { $setOnInsert: record }, { upsert: true });
      if (result.upsertedCount === 1) return { record, created: true };
    } catch (err) {
      // Two concurrent upserts of one eventId: the loser hits the unique index; the winner's record stands.
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
    const existing = await this.model.findOne({ eventId: record.eventId }, { _id: 0 }).lean<DoorRecord>();
    if (!existing) throw new Error(`door record ${record.eventId} neither inserted nor found`);
    return { record: existing, created: false };
  }

  async get(id: string): Promise<DoorRecord | null> {
    return this.model.findOne({ id }, { _id: 0 }).lean<DoorRecord>();
  }

  async list(query: DoorRecordQuery): Promise<Page<DoorRecord>> {
    const filter: Record<string, unknown> = {};
    if (query.buildingId !== undefined) filter.buildingId = query.buildingId;
    if (query.personId !== undefined) filter.personId = query.personId;
    if (query.cardNumber !== undefined) filter.cardNumber = query.cardNumber;
    if (query.method !== undefined) filter.method = query.method;
    if (query.from !== undefined || query.to !== undefined) {
      filter.time = { ...(query.from !== undefined ? { $gte: query.from } : {}), ...(query.to !== undefined ? { $lt: query.to } : {}) };
    }
    const [total, items] = await Promise.all([
      this.model.countDocuments(filter),
      this.model.find(filter, { _id: 0 }).sort({ time: -1, id: -1 }).skip(query.offset).limit(query.limit).lean<DoorRecord[]>(),
    ]);
    return { total, items };
  }

  async deleteOlderThan(before: number, limit: number): Promise<DoorRecord[]> {
    const docs = await this.model.find({ time: { $lt: before } }, { _id: 0 }).sort({ time: 1 }).limit(limit).lean<DoorRecord[]>();
    if (docs.length > 0) await this.model.deleteMany({ id: { $in: docs.map((d) => d.id) } });
    return docs;
  }
}
