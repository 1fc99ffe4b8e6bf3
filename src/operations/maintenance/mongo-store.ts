import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { MaintenanceQuery, MaintenanceStore, MaintenanceWindow } from './types';

type WindowDoc = Omit<MaintenanceWindow, 'id'> & { _id: string };

const windowSchema = new Schema<WindowDoc>(
  {
    _id: { type: String, required: true },
    scope: { type: String, required: true, enum: ['device', 'building'] },
    targetId: { type: String, required: true },
    from: { type: Number, required: true },
    to: { type: Number, required: true },
    reason: { type: String, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { versionKey: false, strict: true, autoIndex: false, collection: 'maintenance_windows', id: false },
);
windowSchema.index({ targetId: 1, from: 1 });
windowSchema.index({ to: 1 });

function toWindow(doc: WindowDoc): MaintenanceWindow {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

/** Maintenance windows in MongoDB (the window ID as _id). */
export class MongoMaintenanceStore implements MaintenanceStore {
  private readonly model: Model<WindowDoc>;

  constructor(connection: Connection) {
    this.model = connection.models.MaintenanceWindow ?? connection.model<WindowDoc>('MaintenanceWindow', windowSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async put(w: MaintenanceWindow): Promise<void> {
    const { id, ...rest } = w;
    await this.model.replaceOne({ _id: id }, { _id: id, ...rest }, { upsert: true }).exec();
  }

  async get(id: string): Promise<MaintenanceWindow | null> {
    const doc = await this.model.findById(id).lean<WindowDoc>().exec();
    return doc ? toWindow(doc) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.model.deleteOne({ _id: id }).exec()).deletedCount > 0;
  }

  async list(query: MaintenanceQuery): Promise<Page<MaintenanceWindow>> {
    const filter: Record<string, unknown> = {};
    if (query.scope !== undefined) filter.scope = query.scope;
    if (query.targetId !== undefined) filter.targetId = query.targetId;
    if (query.to !== undefined) filter.from = { $lt: query.to };
    if (query.from !== undefined) filter.to = { $gt: query.from };
    const [docs, total] = await Promise.all([
      this.model.find(filter).sort({ from: 1, _id: 1 }).skip(Math.max(0, query.offset)).limit(Math.max(0, query.limit)).lean<WindowDoc[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { items: docs.map(toWindow), total };
  }

  async overlapping(from: number, to: number): Promise<MaintenanceWindow[]> {
    const docs = await this.model.find({ to: { $gt: from }, from: { $lt: to } }).sort({ from: 1, _id: 1 }).lean<WindowDoc[]>().exec();
    return docs.map(toWindow);
  }
}
