import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { AlertQuery, WatchlistAlert, WatchlistEntry, WatchlistStore } from './types';

const options = { versionKey: false, minimize: false, strict: true, autoIndex: false } as const;
const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };

const entrySchema = new Schema<WatchlistEntry>(
  {
    id: { type: String, required: true },
    kind: { type: String, required: true },
    value: { type: String, required: true },
    reason: { type: String, required: true },
    priority: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'watchlist_entries' },
);
entrySchema.index({ id: 1 }, { unique: true });
entrySchema.index({ kind: 1, value: 1 }, { unique: true });

const alertSchema = new Schema<WatchlistAlert>(
  {
    id: { type: String, required: true },
    entryId: { type: String, required: true },
    kind: { type: String, required: true },
    value: { type: String, required: true },
    reason: { type: String, required: true },
    priority: { type: Number, required: true },
    recordId: { type: String, required: true },
    buildingId: { type: String, required: true },
    deviceId: { type: String, required: true },
    doorId: nullableString,
    eventTime: { type: Number, required: true },
    raisedAt: { type: Number, required: true },
    state: { type: String, required: true },
    acknowledgedAt: nullableNumber,
    acknowledgedBy: nullableString,
    closedAt: nullableNumber,
    closedBy: nullableString,
    note: nullableString,
    forwarded: { type: Boolean, required: true },
  },
  { ...options, collection: 'watchlist_alerts' },
);
alertSchema.index({ id: 1 }, { unique: true });
alertSchema.index({ raisedAt: -1, id: -1 });
alertSchema.index({ state: 1, raisedAt: -1 });
alertSchema.index({ buildingId: 1, raisedAt: -1 });

/** Watchlist entries and alerts in MongoDB. */
export class MongoWatchlistStore implements WatchlistStore {
  private readonly entries: Model<WatchlistEntry>;
  private readonly alerts: Model<WatchlistAlert>;

  constructor(connection: Connection) {
    this.entries = connection.model<WatchlistEntry>('WatchlistEntry', entrySchema);
    this.alerts = connection.model<WatchlistAlert>('WatchlistAlert', alertSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.entries.createIndexes(), this.alerts.createIndexes()]);
  }

  async insertEntry(entry: WatchlistEntry): Promise<boolean> {
    try {
      const result = await this.entries.updateOne({ kind: entry.kind, value: entry.value }, { $setOnInsert: entry }, { upsert: true });
      return result.upsertedCount === 1;
    } catch (err) {
      if ((err as { code?: unknown }).code === 11000) return false;
      throw err;
    }
  }

  async replaceEntry(entry: WatchlistEntry): Promise<void> {
    await this.entries.replaceOne({ id: entry.id }, entry);
  }

  async deleteEntry(id: string): Promise<boolean> {
    return (await this.entries.deleteOne({ id })).deletedCount === 1;
  }

  async getEntry(id: string): Promise<WatchlistEntry | null> {
    return this.entries.findOne({ id }, { _id: 0 }).lean<WatchlistEntry>();
  }

  async listEntries(offset: number, limit: number): Promise<Page<WatchlistEntry>> {
    const [total, items] = await Promise.all([
      this.entries.countDocuments({}),
      this.entries.find({}, { _id: 0 }).sort({ kind: 1, value: 1 }).skip(offset).limit(limit).lean<WatchlistEntry[]>(),
    ]);
    return { total, items };
  }

  async match(personId: string | null, cardNumber: string | null): Promise<WatchlistEntry[]> {
    const or: Array<Record<string, string>> = [];
    if (personId !== null) or.push({ kind: 'person', value: personId });
    if (cardNumber !== null) or.push({ kind: 'card', value: cardNumber });
    if (or.length === 0) return [];
    return this.entries.find({ $or: or }, { _id: 0 }).lean<WatchlistEntry[]>();
  }

  async saveAlert(alert: WatchlistAlert): Promise<void> {
    await this.alerts.replaceOne({ id: alert.id }, alert, { upsert: true });
  }

  async getAlert(id: string): Promise<WatchlistAlert | null> {
    return this.alerts.findOne({ id }, { _id: 0 }).lean<WatchlistAlert>();
  }

  async listAlerts(query: AlertQuery): Promise<Page<WatchlistAlert>> {
    const filter: Record<string, unknown> = {};
    if (query.state !== undefined) filter.state = query.state;
    if (query.buildingId !== undefined) filter.buildingId = query.buildingId;
    if (query.from !== undefined || query.to !== undefined) {
      filter.raisedAt = { ...(query.from !== undefined ? { $gte: query.from } : {}), ...(query.to !== undefined ? { $lt: query.to } : {}) };
    }
    const [total, items] = await Promise.all([
      this.alerts.countDocuments(filter),
      this.alerts.find(filter, { _id: 0 }).sort({ raisedAt: -1, id: -1 }).skip(query.offset).limit(query.limit).lean<WatchlistAlert[]>(),
    ]);
    return { total, items };
  }
}
