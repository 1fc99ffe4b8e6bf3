import { Schema, type Connection, type Model } from 'mongoose';
import type { Snapshot, SnapshotQuery, SnapshotStore } from './types';

const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };

const snapshotSchema = new Schema<Snapshot>(
  {
    id: { type: String, required: true },
    channelId: { type: String, required: true },
    deviceId: { type: String, required: true },
    time: { type: Number, required: true },
    source: { type: String, required: true, enum: ['device', 'stream'] },
    bytes: { type: Number, required: true },
    width: nullableNumber,
    height: nullableNumber,
    path: { type: String, required: true },
    sessionId: nullableString,
    fileId: nullableString,
  },
  { versionKey: false, minimize: false, strict: true, autoIndex: false, collection: 'snapshots' },
);
snapshotSchema.index({ id: 1 }, { unique: true });
snapshotSchema.index({ channelId: 1, time: -1 });
snapshotSchema.index({ time: 1 });

const NO_ID = { _id: 0 } as const;

/** Snapshots in MongoDB, as models on the index store's connection. */
export class MongoSnapshotStore implements SnapshotStore {
  private readonly model: Model<Snapshot>;

  constructor(connection: Connection) {
    this.model = connection.models.Snapshot ? (connection.models.Snapshot as Model<Snapshot>) : connection.model<Snapshot>('Snapshot', snapshotSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async add(s: Snapshot): Promise<void> {
    await this.model.replaceOne({ id: s.id }, s, { upsert: true });
  }

  async get(id: string): Promise<Snapshot | null> {
    return this.model.findOne({ id }, NO_ID).lean<Snapshot>().exec();
  }

  async list(q: SnapshotQuery): Promise<Snapshot[]> {
    return this.model
      .find({ channelId: q.channelId, time: { $gte: q.from ?? 0, $lte: q.to ?? Number.MAX_SAFE_INTEGER } }, NO_ID)
      .sort({ time: -1, id: -1 })
      .limit(q.limit)
      .lean<Snapshot[]>()
      .exec();
  }

  async removeOlderThan(before: number, limit: number): Promise<Snapshot[]> {
    const rows = await this.model.find({ time: { $lt: before } }, NO_ID).sort({ time: 1 }).limit(limit).lean<Snapshot[]>().exec();
    await this.remove(rows);
    return rows;
  }

  async trimChannel(channelId: string, keep: number): Promise<Snapshot[]> {
    const rows = await this.model.find({ channelId }, NO_ID).sort({ time: -1, id: -1 }).skip(Math.max(0, keep)).lean<Snapshot[]>().exec();
    await this.remove(rows);
    return rows;
  }

  private async remove(rows: Snapshot[]): Promise<void> {
    if (rows.length > 0) await this.model.deleteMany({ id: { $in: rows.map((r) => r.id) } });
  }
}
