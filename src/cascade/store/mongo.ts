import { Schema, type Connection, type Model } from 'mongoose';
import type { UpperPlatform, UpperPlatformPatch, UpperShare } from '../types';
import type { UpperStore } from './upper-store';

const options = { versionKey: false, minimize: false, strict: true, autoIndex: false } as const;
const nullableString = { type: String, default: null };

const upperSchema = new Schema<UpperPlatform>(
  {
    upperId: { type: String, required: true },
    name: nullableString,
    domain: { type: String, required: true },
    host: { type: String, required: true },
    port: { type: Number, required: true },
    transport: { type: String, required: true, enum: ['udp', 'tcp'] },
    password: nullableString,
    localId: nullableString,
    registerExpiresSec: { type: Number, required: true },
    keepaliveIntervalSec: { type: Number, required: true },
    keepaliveTimeoutCount: { type: Number, required: true },
    charset: { type: String, required: true },
    catalogItemsPerMessage: { type: Number, required: true },
    idMode: { type: String, required: true, enum: ['own', 'mapped'] },
    recordSource: { type: String, required: true, enum: ['platform', 'device'] },
    enabled: { type: Boolean, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'cascade_uppers' },
);
upperSchema.index({ upperId: 1 }, { unique: true });

const shareSchema = new Schema<UpperShare>(
  {
    upperId: { type: String, required: true },
    localId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['channel', 'organisation', 'device'] },
    deviceId: nullableString,
    mappedId: nullableString,
    createdAt: { type: Number, required: true },
  },
  { ...options, collection: 'cascade_shares' },
);
shareSchema.index({ upperId: 1, localId: 1 }, { unique: true });

const UPPER_FIELDS = { _id: 0 } as const;

/** The cascade's collections on the index store's MongoDB connection. */
export class MongoUpperStore implements UpperStore {
  private readonly uppers: Model<UpperPlatform>;
  private readonly shares: Model<UpperShare>;

  constructor(connection: Connection) {
    this.uppers = connection.models.CascadeUpper ?? connection.model<UpperPlatform>('CascadeUpper', upperSchema);
    this.shares = connection.models.CascadeShare ?? connection.model<UpperShare>('CascadeShare', shareSchema);
  }

  async init(): Promise<void> {
    await this.uppers.createIndexes();
    await this.shares.createIndexes();
  }

  async putUpper(upper: UpperPlatform): Promise<void> {
    await this.uppers.replaceOne({ upperId: upper.upperId }, upper, { upsert: true });
  }

  async getUpper(upperId: string): Promise<UpperPlatform | null> {
    return this.uppers.findOne({ upperId }, UPPER_FIELDS).lean<UpperPlatform>().exec();
  }

  async listUppers(): Promise<UpperPlatform[]> {
    return this.uppers.find({}, UPPER_FIELDS).sort({ upperId: 1 }).lean<UpperPlatform[]>().exec();
  }

  async updateUpper(upperId: string, patch: UpperPlatformPatch, now: number): Promise<UpperPlatform | null> {
    const set: Record<string, unknown> = { updatedAt: now };
    for (const [key, value] of Object.entries(patch)) if (value !== undefined && key !== 'upperId') set[key] = value;
    return this.uppers
      .findOneAndUpdate({ upperId }, { $set: set }, { new: true, projection: UPPER_FIELDS })
      .lean<UpperPlatform>()
      .exec();
  }

  async deleteUpper(upperId: string): Promise<boolean> {
    await this.shares.deleteMany({ upperId });
    const result = await this.uppers.deleteOne({ upperId });
    return result.deletedCount > 0;
  }

  async addShares(shares: UpperShare[]): Promise<void> {
    if (shares.length === 0) return;
    await this.shares.bulkWrite(
      shares.map((share) => ({ replaceOne: { filter: { upperId: share.upperId, localId: share.localId }, replacement: share, upsert: true } })),
    );
  }

  async removeShares(upperId: string, localIds: string[]): Promise<number> {
    if (localIds.length === 0) return 0;
    const result = await this.shares.deleteMany({ upperId, localId: { $in: localIds } });
    return result.deletedCount;
  }

  async listShares(upperId: string): Promise<UpperShare[]> {
    return this.shares.find({ upperId }, UPPER_FIELDS).sort({ localId: 1 }).lean<UpperShare[]>().exec();
  }
}
