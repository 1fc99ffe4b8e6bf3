import { Schema, type Connection, type Model } from 'mongoose';
import type { StoredWebhook, WebhookDeliveryStats, WebhookStore } from './port';

const deliverySchema = new Schema<WebhookDeliveryStats>(
  {
    delivered: { type: Number, required: true },
    failed: { type: Number, required: true },
    consecutiveFailures: { type: Number, required: true },
    lastStatus: { type: Number, default: null },
    lastError: { type: String, default: null },
    lastAttemptAt: { type: Number, default: null },
    lastSuccessAt: { type: Number, default: null },
  },
  { _id: false, minimize: false },
);

const webhookSchema = new Schema<StoredWebhook>(
  {
    id: { type: String, required: true },
    url: { type: String, required: true },
    topics: { type: [String], default: [] },
    secret: { type: String, required: true },
    createdAt: { type: Number, required: true },
    delivery: { type: deliverySchema, required: true },
  },
  { collection: 'webhooks', versionKey: false, minimize: false, strict: true, autoIndex: false },
);

webhookSchema.index({ id: 1 }, { unique: true });

const NO_ID = { _id: 0 } as const;

/** Webhooks in the index store's MongoDB database. */
export class MongoWebhookStore implements WebhookStore {
  private readonly model: Model<StoredWebhook>;

  constructor(connection: Connection) {
    const existing = connection.models.Webhook;
    this.model = existing ? (existing as Model<StoredWebhook>) : connection.model<StoredWebhook>('Webhook', webhookSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async create(hook: StoredWebhook): Promise<void> {
    await this.model.create(hook);
  }

  async list(): Promise<StoredWebhook[]> {
    return this.model.find({}, NO_ID).sort({ createdAt: 1, id: 1 }).lean<StoredWebhook[]>().exec();
  }

  async get(id: string): Promise<StoredWebhook | null> {
    return this.model.findOne({ id }, NO_ID).lean<StoredWebhook>().exec();
  }

  async delete(id: string): Promise<boolean> {
    return (await this.model.deleteOne({ id }).exec()).deletedCount > 0;
  }

  async saveDelivery(id: string, stats: WebhookDeliveryStats): Promise<void> {
    await this.model.updateOne({ id }, { $set: { delivery: stats } }).exec();
  }
}
