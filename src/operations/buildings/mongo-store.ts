import { Schema, type Connection, type Model } from 'mongoose';
import type { Page } from '../../storage/types';
import type { BuildingDevice } from '../building-directory';
import { joinedAtCreation, membershipChanges, type BuildingMembership } from './membership';
import {
  BuildingConflictError,
  toStoredBuilding,
  type BuildingInput,
  type BuildingQuery,
  type BuildingStore,
  type StoredBuilding,
} from './types';

const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };

const buildingSchema = new Schema<StoredBuilding>(
  {
    buildingId: { type: String, required: true },
    name: nullableString,
    address: { type: String, required: true },
    street: { type: String, required: true },
    community: { type: String, required: true },
    civilCode: nullableString,
    longitude: nullableNumber,
    latitude: nullableNumber,
    state: { type: String, required: true, enum: ['active', 'removed', 'relocated'] },
    stateSince: { type: Number, required: true },
    stateHistory: { type: [{ _id: false, state: { type: String, required: true }, since: { type: Number, required: true } }], default: [] },
    line: nullableString,
    devices: { type: [{ _id: false, deviceId: { type: String, required: true }, role: { type: String, required: true } }], default: [] },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { versionKey: false, minimize: false, strict: true, autoIndex: false, collection: 'buildings' },
);
buildingSchema.index({ buildingId: 1 }, { unique: true });
// A device in at most one building (buildings without devices are left out of the index).
buildingSchema.index({ 'devices.deviceId': 1 }, { unique: true, partialFilterExpression: { 'devices.deviceId': { $exists: true } } });
buildingSchema.index({ street: 1, community: 1, buildingId: 1 });
buildingSchema.index({ community: 1, buildingId: 1 });
buildingSchema.index({ state: 1, buildingId: 1 });
buildingSchema.index({ line: 1 });

const membershipSchema = new Schema<BuildingMembership>(
  {
    buildingId: { type: String, required: true },
    deviceId: { type: String, required: true },
    role: { type: String, required: true },
    since: { type: Number, required: true },
    until: { type: Number, default: null },
  },
  { versionKey: false, strict: true, autoIndex: false, collection: 'building_device_history' },
);
membershipSchema.index({ buildingId: 1, deviceId: 1, since: 1 }, { unique: true });
membershipSchema.index({ since: 1 });

const NO_ID = { _id: 0 } as const;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 11000;
}

/**
 * Buildings in MongoDB, one document each with its devices; a unique multikey index keeps a
 * device in one building. MongoDB without a replica set has no multi-document transactions, so a
 * batch write that fails half way is undone by hand (the documents it replaced are put back).
 */
export class MongoBuildingStore implements BuildingStore {
  private readonly model: Model<StoredBuilding>;
  private readonly memberships: Model<BuildingMembership>;

  constructor(connection: Connection) {
    this.model = connection.models.Building ?? connection.model<StoredBuilding>('Building', buildingSchema);
    this.memberships =
      connection.models.BuildingMembership ?? connection.model<BuildingMembership>('BuildingMembership', membershipSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
    await this.memberships.createIndexes();
  }

  async membershipsDuring(from: number, to: number): Promise<BuildingMembership[]> {
    return this.memberships
      .find({ since: { $lt: to }, $or: [{ until: null }, { until: { $gt: from } }] }, NO_ID)
      .lean<BuildingMembership[]>()
      .exec();
  }

  /**
   * Written after the building itself (no multi-document transactions): a crash in between leaves
   * the history one change behind, and the settlement then counts the device as it did before
   * the history was kept (in its current building for the whole period).
   */
  private async recordMemberships(buildingId: string, before: readonly BuildingDevice[], after: readonly BuildingDevice[], joinedAt: number, now: number): Promise<void> {
    const changes = membershipChanges(before, after);
    const ops = [
      ...changes.left.map((deviceId) => ({ updateOne: { filter: { buildingId, deviceId, until: null }, update: { $set: { until: now } } } })),
      ...changes.joined.map((d) => ({
        updateOne: { filter: { buildingId, deviceId: d.deviceId, since: joinedAt }, update: { $set: { role: d.role, until: null } }, upsert: true },
      })),
      ...changes.roleChanged.map((d) => ({ updateOne: { filter: { buildingId, deviceId: d.deviceId, until: null }, update: { $set: { role: d.role } } } })),
    ];
    if (ops.length > 0) await this.memberships.bulkWrite(ops, { ordered: true });
  }

  async getBuilding(buildingId: string): Promise<StoredBuilding | null> {
    return this.model.findOne({ buildingId }, NO_ID).lean<StoredBuilding>().exec();
  }

  async buildingOfDevice(deviceId: string): Promise<StoredBuilding | null> {
    return this.model.findOne({ 'devices.deviceId': deviceId }, NO_ID).lean<StoredBuilding>().exec();
  }

  async buildingsOnLine(line: string): Promise<StoredBuilding[]> {
    return this.model.find({ line }, NO_ID).sort({ buildingId: 1 }).lean<StoredBuilding[]>().exec();
  }

  async listBuildings(query: BuildingQuery): Promise<Page<StoredBuilding>> {
    const filter: Record<string, unknown> = {};
    for (const key of ['street', 'community', 'state', 'line'] as const) {
      if (query[key] !== undefined) filter[key] = query[key];
    }
    if (query.keyword !== undefined && query.keyword !== '') {
      const like = { $regex: escapeRegex(query.keyword), $options: 'i' };
      filter.$or = [{ buildingId: like }, { name: like }, { address: like }, { 'devices.deviceId': query.keyword }];
    }
    const [items, total] = await Promise.all([
      this.model.find(filter, NO_ID).sort({ buildingId: 1 }).skip(Math.max(0, query.offset)).limit(Math.max(0, query.limit)).lean<StoredBuilding[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  async allBuildings(): Promise<StoredBuilding[]> {
    return this.model.find({}, NO_ID).sort({ buildingId: 1 }).lean<StoredBuilding[]>().exec();
  }

  async ownersOf(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(deviceIds);
    const owners = new Map<string, string>();
    const docs = await this.model
      .find({ 'devices.deviceId': { $in: [...wanted] } }, { _id: 0, buildingId: 1, devices: 1 })
      .lean<Array<Pick<StoredBuilding, 'buildingId' | 'devices'>>>()
      .exec();
    for (const doc of docs) for (const d of doc.devices) if (wanted.has(d.deviceId)) owners.set(d.deviceId, doc.buildingId);
    return owners;
  }

  async createBuilding(input: BuildingInput, now: number): Promise<StoredBuilding> {
    await this.checkDevices(input);
    const stored = toStoredBuilding(input, null, now);
    try {
      await this.model.create(stored);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      if (await this.getBuilding(input.buildingId)) throw new BuildingConflictError(`building ${input.buildingId} exists`, 'exists');
      throw new BuildingConflictError(`a device of building ${input.buildingId} belongs to another building`, 'device-taken');
    }
    await this.recordMemberships(stored.buildingId, [], stored.devices, joinedAtCreation(input.stateSince, now), now);
    return stored;
  }

  async replaceBuilding(input: BuildingInput, now: number): Promise<StoredBuilding> {
    const previous = await this.getBuilding(input.buildingId);
    if (!previous) throw new BuildingConflictError(`building ${input.buildingId} is not known`, 'not-found');
    await this.checkDevices(input);
    const stored = toStoredBuilding(input, previous, now);
    try {
      await this.model.replaceOne({ buildingId: input.buildingId }, stored).exec();
    } catch (err) {
      if (isDuplicateKey(err)) throw new BuildingConflictError(`a device of building ${input.buildingId} belongs to another building`, 'device-taken');
      throw err;
    }
    await this.recordMemberships(stored.buildingId, previous.devices, stored.devices, now, now);
    return stored;
  }

  async deleteBuilding(buildingId: string): Promise<boolean> {
    const previous = await this.getBuilding(buildingId);
    const deleted = (await this.model.deleteOne({ buildingId }).exec()).deletedCount > 0;
    if (deleted && previous) await this.recordMemberships(buildingId, previous.devices, [], Date.now(), Date.now());
    return deleted;
  }

  async writeBuildings(inputs: readonly BuildingInput[], now: number): Promise<{ created: number; updated: number }> {
    if (inputs.length === 0) return { created: 0, updated: 0 };
    const ids = inputs.map((i) => i.buildingId);
    const previous = new Map((await this.model.find({ buildingId: { $in: ids } }, NO_ID).lean<StoredBuilding[]>().exec()).map((b) => [b.buildingId, b]));
    const stored = inputs.map((input) => toStoredBuilding(input, previous.get(input.buildingId) ?? null, now));
    try {
      // Devices are released first, so that devices moving between buildings of the batch do not collide.
      await this.model.updateMany({ buildingId: { $in: [...previous.keys()] } }, { $set: { devices: [] } }).exec();
      await this.model.bulkWrite(
        stored.map((b) => ({ replaceOne: { filter: { buildingId: b.buildingId }, replacement: b, upsert: true } })),
        { ordered: true },
      );
    } catch (err) {
      await this.undo(ids, previous);
      if (isDuplicateKey(err)) throw new BuildingConflictError('a device of the batch belongs to a building outside it', 'device-taken');
      throw err;
    }
    for (const [i, b] of stored.entries()) {
      const before = previous.get(b.buildingId);
      await this.recordMemberships(b.buildingId, before?.devices ?? [], b.devices, before ? now : joinedAtCreation(inputs[i]?.stateSince, now), now);
    }
    return { created: inputs.length - previous.size, updated: previous.size };
  }

  private async undo(ids: string[], previous: Map<string, StoredBuilding>): Promise<void> {
    await this.model.deleteMany({ buildingId: { $in: ids.filter((id) => !previous.has(id)) } }).exec();
    const restore = [...previous.values()];
    if (restore.length === 0) return;
    // Without their devices first: the unique device index must not trip over the restore order.
    await this.model.bulkWrite(restore.map((b) => ({ replaceOne: { filter: { buildingId: b.buildingId }, replacement: { ...b, devices: [] }, upsert: true } })));
    await this.model.bulkWrite(restore.map((b) => ({ updateOne: { filter: { buildingId: b.buildingId }, update: { $set: { devices: b.devices } } } })));
  }

  private async checkDevices(input: BuildingInput): Promise<void> {
    const owners = await this.ownersOf(input.devices.map((d) => d.deviceId));
    for (const [deviceId, owner] of owners) {
      if (owner !== input.buildingId) throw new BuildingConflictError(`device ${deviceId} belongs to building ${owner}`, 'device-taken');
    }
  }
}
