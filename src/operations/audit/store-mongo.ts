import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { AuditEntry, AuditInput, AuditQuery, AuditStore } from './types';

type AuditDoc = AuditEntry;

const schema = new Schema<AuditDoc>(
  {
    id: { type: Number, required: true },
    at: { type: Number, required: true },
    actor: { type: String, required: true },
    role: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String, default: null },
    result: { type: String, default: null },
    detail: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, minimize: false, strict: true, autoIndex: false, collection: 'audit_log' },
);
schema.index({ at: -1, id: -1 });
schema.index({ action: 1, at: -1 });

/** The audit log in MongoDB (collection audit_log). IDs: time-based, increasing within a process. */
export class MongoAuditStore implements AuditStore {
  private readonly model: Model<AuditDoc>;
  private last = 0;

  constructor(connection: Connection) {
    this.model = connection.model<AuditDoc>('AuditEntry', schema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async append(entry: AuditInput): Promise<void> {
    this.last = Math.max(this.last + 1, Date.now() * 1000);
    await this.model.create({ ...entry, id: this.last });
  }

  async list(query: AuditQuery): Promise<Page<AuditEntry>> {
    const filter: Record<string, unknown> = {};
    if (query.action !== undefined) filter.action = query.action;
    if (query.actor !== undefined) filter.actor = query.actor;
    if (query.from !== undefined || query.to !== undefined) {
      filter.at = { ...(query.from !== undefined ? { $gte: query.from } : {}), ...(query.to !== undefined ? { $lt: query.to } : {}) };
    }
    const [total, items] = await Promise.all([
      this.model.countDocuments(filter),
      this.model.find(filter, { _id: 0 }).sort({ at: -1, id: -1 }).skip(query.offset).limit(query.limit).lean<AuditEntry[]>(),
    ]);
    return { total, items };
  }
}
