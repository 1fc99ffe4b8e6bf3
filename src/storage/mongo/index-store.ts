import mongoose, { type AnyBulkWriteOperation, type Connection, type Model } from 'mongoose';
import type { Logger } from '../../logger';
import type { IndexStore } from '../ports';
import { joinGapOf, normalizeRecordingSegments } from '../recordings';
import { CHANNEL_UPDATE_FIELDS, dedupeChannels, defaultDevice, definedDeviceFields } from '../records';
import type {
  Channel,
  ChannelQuery,
  ChannelSyncResult,
  ChannelUpdate,
  Device,
  DeviceEvent,
  DeviceEventQuery,
  DeviceQuery,
  DeviceUpdate,
  Page,
  RecordingCoverage,
  RecordingPlan,
  RecordingQuery,
  RecordingSegment,
  RecordingTotals,
} from '../types';
import { toChannel, toDevice, toDeviceEvent } from './documents';
import { MongoRecordingIndex, type RecordingModels } from './recording-index';
import {
  channelSchema,
  deviceEventSchema,
  deviceSchema,
  recordingChannelSchema,
  recordingPlanSchema,
  recordingSegmentSchema,
  type DeviceEventDoc,
  type RecordingChannelDoc,
  type RecordingSegmentDoc,
} from './schemas';

export interface MongoIndexStoreOptions {
  /** mongodb://... or mongodb+srv://... (a replica set in production). */
  url: string;
  /** Database name; by default the one in the URL. */
  dbName?: string;
  /** How long init() waits for a server before it fails (default 10 s). */
  serverSelectionTimeoutMs?: number;
  logger: Logger;
}

type Filter = Record<string, unknown>;

const NO_ID = { _id: 0 } as const;

/**
 * The index store on MongoDB, through its own mongoose connection and models (never the global
 * mongoose connection, so that other code using mongoose cannot interfere). Same semantics as
 * the SQLite store; a catalog sync is one bulkWrite. MongoDB without a replica set has no
 * multi-document transactions: a sync that fails half way is repaired by the next catalog.
 */
export class MongoIndexStore implements IndexStore {
  readonly kind = 'mongodb' as const;
  private readonly options: MongoIndexStoreOptions;
  private readonly logger: Logger;
  private connection: Connection | null = null;
  private models:
    | ({ devices: Model<Device>; channels: Model<Channel>; events: Model<DeviceEventDoc>; plans: Model<RecordingPlan> } & RecordingModels)
    | null = null;
  private closed = false;
  private readonly recordings = new MongoRecordingIndex(() => this.open());

  constructor(options: MongoIndexStoreOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mongo-index-store' });
  }

  async init(): Promise<void> {
    if (this.connection) return;
    if (this.closed) throw new Error('MongoIndexStore: init() after close()');
    const connection = mongoose.createConnection(this.options.url, {
      ...(this.options.dbName === undefined ? {} : { dbName: this.options.dbName }),
      autoIndex: false,
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMs ?? 10_000,
    });
    connection.on('error', (err: unknown) => this.logger.warn({ err }, 'mongodb connection error'));
    try {
      await connection.asPromise();
      const models = {
        devices: connection.model<Device>('Device', deviceSchema),
        channels: connection.model<Channel>('Channel', channelSchema),
        events: connection.model<DeviceEventDoc>('DeviceEvent', deviceEventSchema),
        segments: connection.model<RecordingSegmentDoc>('RecordingSegment', recordingSegmentSchema),
        recordingChannels: connection.model<RecordingChannelDoc>('RecordingChannel', recordingChannelSchema),
        plans: connection.model<RecordingPlan>('RecordingPlan', recordingPlanSchema),
      };
      await Promise.all(Object.values(models).map((model) => model.createIndexes()));
      this.connection = connection;
      this.models = models;
      this.logger.debug({ db: connection.name }, 'index store opened');
    } catch (err) {
      await connection.close(true).catch(() => undefined);
      throw new Error(`cannot open MongoDB index store: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /**
   * The open connection, for the stores of other domains (alarms, cascade, operations): they make
   * their own models on it (and create their indexes) when they start.
   */
  mongoConnection(): Connection {
    if (!this.connection) throw new Error('MongoIndexStore: not initialized');
    return this.connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    this.models = null;
    if (connection) await connection.close();
  }

  async upsertDevice(deviceId: string, update: DeviceUpdate): Promise<void> {
    const { devices } = this.open();
    const now = Date.now();
    const fields = definedDeviceFields(update);
    // Defaults only for what the update does not set: a path may not be in both $set and $setOnInsert.
    const setOnInsert: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(defaultDevice(deviceId, now))) {
      if (key !== 'deviceId' && key !== 'updatedAt' && !(key in fields)) setOnInsert[key] = value;
    }
    const run = () => devices.updateOne({ deviceId }, { $set: { ...fields, updatedAt: now }, $setOnInsert: setOnInsert }, { upsert: true }).exec();
    try {
      await run();
    } catch (err) {
      // Two first upserts of one device race on the unique index: the loser merges into the winner.
      if (!isDuplicateKey(err)) throw err;
      await run();
    }
  }

  async getDevice(deviceId: string): Promise<Device | null> {
    const doc = await this.open().devices.findOne({ deviceId }, NO_ID).lean<Device>().exec();
    return doc ? toDevice(doc) : null;
  }

  async listDevices(query: DeviceQuery): Promise<Page<Device>> {
    const { devices } = this.open();
    const filter: Filter = {};
    if (query.online !== undefined) filter.online = query.online;
    if (query.typeCode !== undefined) filter.typeCode = query.typeCode;
    if (query.keyword !== undefined && query.keyword !== '') {
      filter.$or = keywordClauses(['deviceId', 'name', 'manufacturer', 'model'], query.keyword);
    }
    const limit = pageLimit(query.limit);
    const [total, docs] = await Promise.all([
      devices.countDocuments(filter).exec(),
      limit === 0
        ? Promise.resolve([])
        : devices.find(filter, NO_ID).sort({ deviceId: 1 }).skip(pageOffset(query.offset)).limit(limit).lean<Device[]>().exec(),
    ]);
    return { items: docs.map(toDevice), total };
  }

  async deleteDevice(deviceId: string): Promise<boolean> {
    const { devices, channels } = this.open();
    // Channels first: a crash in between leaves a device without channels, which a catalog repairs.
    await channels.deleteMany({ deviceId }).exec();
    const result = await devices.deleteOne({ deviceId }).exec();
    return result.deletedCount > 0;
  }

  async syncChannels(
    deviceId: string,
    channels: ChannelUpdate[],
    options: { complete: boolean },
  ): Promise<ChannelSyncResult> {
    const models = this.open();
    const now = Date.now();
    const incoming = dedupeChannels(channels);
    const stored = await models.channels
      .find({ deviceId }, { ...NO_ID, createdAt: 0, updatedAt: 0 })
      .lean<Channel[]>()
      .exec();
    const before = new Map(stored.map((c) => [c.channelId, toChannel({ ...c, deviceId, createdAt: 0, updatedAt: 0 })]));
    const result: ChannelSyncResult = { added: 0, updated: 0, missing: 0 };
    const writes: AnyBulkWriteOperation<Channel>[] = [];
    const seen = new Set<string>();
    for (const channel of incoming) {
      seen.add(channel.channelId);
      const old = before.get(channel.channelId);
      if (old && old.present && sameCatalogFields(old, channel)) continue;
      if (old) result.updated += 1;
      else result.added += 1;
      writes.push({
        updateOne: {
          filter: { deviceId, channelId: channel.channelId },
          update: { $set: { ...channel, present: true, updatedAt: now }, $setOnInsert: { createdAt: now } },
          upsert: true,
        },
      });
    }
    if (options.complete) {
      const missing = [...before.values()].filter((c) => c.present && !seen.has(c.channelId)).map((c) => c.channelId);
      result.missing = missing.length;
      if (missing.length > 0) {
        writes.push({
          updateMany: {
            filter: { deviceId, channelId: { $in: missing } },
            update: { $set: { present: false, updatedAt: now } },
          },
        });
      }
    }
    if (writes.length > 0) await models.channels.bulkWrite(writes, { ordered: true });
    const present = await models.channels.countDocuments({ deviceId, present: true }).exec();
    await models.devices
      .updateOne({ deviceId, channelCount: { $ne: present } }, { $set: { channelCount: present, updatedAt: now } })
      .exec();
    return result;
  }

  async getChannel(channelId: string, deviceId?: string): Promise<Channel | null> {
    const { channels } = this.open();
    const doc =
      deviceId === undefined
        ? // IDs can repeat across devices: prefer a present channel, then the most recently updated.
          await channels
            .findOne({ channelId }, NO_ID)
            .sort({ present: -1, updatedAt: -1, deviceId: 1 })
            .lean<Channel>()
            .exec()
        : await channels.findOne({ deviceId, channelId }, NO_ID).lean<Channel>().exec();
    return doc ? toChannel(doc) : null;
  }

  async listChannels(query: ChannelQuery): Promise<Page<Channel>> {
    const { channels } = this.open();
    const filter: Filter = {};
    if (query.deviceId !== undefined) filter.deviceId = query.deviceId;
    if (query.parentId !== undefined) filter.parentId = query.parentId;
    if (query.status !== undefined) filter.status = query.status;
    if (query.includeMissing !== true) filter.present = true;
    if (query.keyword !== undefined && query.keyword !== '') {
      filter.$or = keywordClauses(['channelId', 'name', 'manufacturer', 'model', 'address'], query.keyword);
    }
    const limit = pageLimit(query.limit);
    const [total, docs] = await Promise.all([
      channels.countDocuments(filter).exec(),
      limit === 0
        ? Promise.resolve([])
        : channels
            .find(filter, NO_ID)
            .sort({ deviceId: 1, channelId: 1 })
            .skip(pageOffset(query.offset))
            .limit(limit)
            .lean<Channel[]>()
            .exec(),
    ]);
    return { items: docs.map(toChannel), total };
  }

  async appendDeviceEvents(events: DeviceEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Ordered insert: ObjectIds grow in array order, which keeps same-time events in append order.
    await this.open().events.insertMany(
      events.map((e) => ({ deviceId: e.deviceId, type: e.type, reason: e.reason, time: e.time, detail: e.detail ?? null })),
      { ordered: true },
    );
  }

  async listDeviceEvents(query: DeviceEventQuery): Promise<DeviceEvent[]> {
    const limit = pageLimit(query.limit);
    if (limit === 0) return [];
    const filter: Filter = { time: { $gte: query.from, $lt: query.to } };
    if (query.deviceId !== undefined) filter.deviceId = query.deviceId;
    if (query.type !== undefined) filter.type = query.type;
    const docs = await this.open()
      .events.find(filter, { _id: 0, deviceId: 1, type: 1, reason: 1, time: 1, detail: 1 })
      .sort({ time: 1, _id: 1 })
      .limit(limit)
      .lean<DeviceEventDoc[]>()
      .exec();
    return docs.map(toDeviceEvent);
  }

  async addRecordingSegments(segments: RecordingSegment[]): Promise<void> {
    const normalized = normalizeRecordingSegments(segments);
    if (normalized.length > 0) await this.recordings.write(normalized);
  }

  async listRecordingSegments(query: RecordingQuery): Promise<RecordingSegment[]> {
    return this.recordings.list(query);
  }

  async recordingCoverage(query: RecordingQuery & { joinGapMs?: number }): Promise<RecordingCoverage> {
    return this.recordings.coverage(query, joinGapOf(query.joinGapMs));
  }

  async putRecordingPlan(plan: RecordingPlan): Promise<void> {
    await this.open().plans.replaceOne({ channelId: plan.channelId }, plan, { upsert: true }).exec();
  }

  async getRecordingPlan(channelId: string): Promise<RecordingPlan | null> {
    const doc = await this.open().plans.findOne({ channelId }, NO_ID).lean<RecordingPlan>().exec();
    return doc ? toPlan(doc) : null;
  }

  async listRecordingPlans(): Promise<RecordingPlan[]> {
    const docs = await this.open().plans.find({}, NO_ID).sort({ channelId: 1 }).lean<RecordingPlan[]>().exec();
    return docs.map(toPlan);
  }

  async deleteRecordingPlan(channelId: string): Promise<boolean> {
    return (await this.open().plans.deleteOne({ channelId }).exec()).deletedCount > 0;
  }

  async getRecordingSegment(id: string): Promise<RecordingSegment | null> {
    return this.recordings.get(id);
  }

  async deleteRecordingSegments(ids: string[]): Promise<number> {
    return this.recordings.delete(ids);
  }

  async oldestRecordingSegments(query: { limit: number; channelId?: string; endBefore?: number }): Promise<RecordingSegment[]> {
    return this.recordings.oldest(query);
  }

  async setRecordingLock(query: { channelId: string; from: number; to: number; locked: boolean }): Promise<number> {
    return this.recordings.setLock(query);
  }

  async recordingTotals(channelId?: string): Promise<RecordingTotals> {
    return this.recordings.totals(channelId);
  }

  private open(): NonNullable<MongoIndexStore['models']> {
    if (this.models) return this.models;
    throw new Error(this.closed ? 'MongoIndexStore is closed' : 'MongoIndexStore: call init() first');
  }
}

function sameCatalogFields(stored: Channel, update: ChannelUpdate): boolean {
  return CHANNEL_UPDATE_FIELDS.every((field) => stored[field] === update[field]);
}

/** Substring match, case-insensitive, with the keyword taken literally (not as a pattern). */
function keywordClauses(fields: readonly string[], keyword: string): Filter[] {
  const pattern = new RegExp(keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  return fields.map((field) => ({ [field]: pattern }));
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;
}

function pageLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

function pageOffset(offset: number): number {
  return Number.isFinite(offset) && offset > 0 ? Math.floor(offset) : 0;
}

/** The stored plan with exactly the record's fields (windows without subdocument ids). */
function toPlan(doc: RecordingPlan): RecordingPlan {
  return {
    channelId: doc.channelId,
    enabled: doc.enabled,
    mode: doc.mode,
    windows: doc.windows.map((w) => ({ day: w.day, start: w.start, end: w.end })),
    retentionDays: doc.retentionDays ?? null,
    updatedAt: doc.updatedAt,
  };
}
