import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { recordingCoverageOf, type SegmentSpan } from '../recording-coverage';
import { checkRecordingWindow, recordingLimitOf } from '../recordings';
import type { RecordingCoverage, RecordingQuery, RecordingSegment, RecordingTotals } from '../types';
import { recordingSegmentFields, toRecordingSegment } from './documents';
import type { RecordingChannelDoc, RecordingSegmentDoc } from './schemas';

/**
 * The recording-segment half of the MongoDB index store, with the SQLite store's semantics (see
 * IndexStore). Input is already checked and normalized by the store (src/storage/recordings.ts).
 * Without a replica set there are no multi-document transactions: a channel's longest duration is
 * raised before its segments are written, so a query never bounds its scan too tightly.
 */

export interface RecordingModels {
  segments: Model<RecordingSegmentDoc>;
  recordingChannels: Model<RecordingChannelDoc>;
}

type Filter = Record<string, unknown>;

interface Window {
  channelId: string;
  from: number;
  to: number;
}

export class MongoRecordingIndex {
  constructor(private readonly models: () => RecordingModels) {}

  async write(segments: readonly RecordingSegment[]): Promise<void> {
    if (segments.length === 0) return;
    const { segments: model, recordingChannels } = this.models();
    const longest = new Map<string, number>();
    for (const s of segments) longest.set(s.channelId, Math.max(longest.get(s.channelId) ?? 0, s.end - s.start));
    await retryOnceOnDuplicateKey(() =>
      recordingChannels.bulkWrite(
        [...longest].map(([channelId, duration]) => ({
          updateOne: { filter: { _id: channelId }, update: { $max: { maxDurationMs: duration } }, upsert: true },
        })),
        { ordered: false },
      ),
    );
    // A lock is sticky: re-adding a locked segment as unlocked keeps it locked.
    const writes: AnyBulkWriteOperation<RecordingSegmentDoc>[] = segments.map((s) => {
      const { locked, ...fields } = recordingSegmentFields(s);
      return {
        updateOne: {
          filter: { _id: s.id },
          update: locked ? { $set: { ...fields, locked: true } } : { $set: fields, $setOnInsert: { locked: false } },
          upsert: true,
        },
      };
    });
    await retryOnceOnDuplicateKey(() => model.bulkWrite(writes, { ordered: true }));
  }

  async list(query: RecordingQuery): Promise<RecordingSegment[]> {
    checkRecordingWindow(query);
    const limit = recordingLimitOf(query.limit);
    if (query.from === query.to || limit === 0) return [];
    const filter = await this.overlapFilter(query);
    if (!filter) return [];
    let find = this.models().segments.find(filter).sort({ start: 1, _id: 1 });
    if (limit !== null) find = find.limit(limit);
    const docs = await find.lean<RecordingSegmentDoc[]>().exec();
    return docs.map(toRecordingSegment);
  }

  async coverage(query: RecordingQuery, joinGapMs: number): Promise<RecordingCoverage> {
    checkRecordingWindow(query);
    const filter = query.from === query.to ? null : await this.overlapFilter(query);
    if (!filter) return recordingCoverageOf([], query, joinGapMs);
    // Only indexed fields and no _id: answered from the index alone.
    const spans = await this.models()
      .segments.find(filter, { _id: 0, start: 1, end: 1, bytes: 1 })
      .sort({ start: 1 })
      .lean<SegmentSpan[]>()
      .exec();
    return recordingCoverageOf(spans, query, joinGapMs);
  }

  async get(id: string): Promise<RecordingSegment | null> {
    const doc = await this.models().segments.findOne({ _id: id }).lean<RecordingSegmentDoc>().exec();
    return doc ? toRecordingSegment(doc) : null;
  }

  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.models()
      .segments.deleteMany({ _id: { $in: [...new Set(ids)] }, locked: { $ne: true } })
      .exec();
    return result.deletedCount;
  }

  async oldest(query: { limit: number; channelId?: string; endBefore?: number }): Promise<RecordingSegment[]> {
    const limit = recordingLimitOf(query.limit) ?? 0;
    if (limit === 0) return [];
    const filter: Filter = { locked: false };
    if (query.channelId !== undefined) filter.channelId = query.channelId;
    if (query.endBefore !== undefined) {
      if (!Number.isFinite(query.endBefore)) throw new RangeError(`endBefore must be a finite number (got ${query.endBefore})`);
      filter.end = { $lte: query.endBefore };
    }
    const docs = await this.models()
      .segments.find(filter)
      .sort({ end: 1, _id: 1 })
      .limit(limit)
      .lean<RecordingSegmentDoc[]>()
      .exec();
    return docs.map(toRecordingSegment);
  }

  async setLock(query: Window & { locked: boolean }): Promise<number> {
    checkRecordingWindow(query);
    const filter = query.from === query.to ? null : await this.overlapFilter(query);
    if (!filter) return 0;
    const result = await this.models().segments.updateMany(filter, { $set: { locked: query.locked } }).exec();
    return result.matchedCount;
  }

  async totals(channelId?: string): Promise<RecordingTotals> {
    const [row] = await this.models()
      .segments.aggregate<RecordingTotals>([
        { $match: channelId === undefined ? {} : { channelId } },
        { $group: { _id: null, segments: { $sum: 1 }, bytes: { $sum: '$bytes' } } },
        { $project: { _id: 0, segments: 1, bytes: 1 } },
      ])
      .exec();
    return row ?? { segments: 0, bytes: 0 };
  }

  /**
   * Segments of the channel overlapping [from, to), as a bounded range of the (channelId, start)
   * index; null when the channel never had a segment (nothing can match).
   */
  private async overlapFilter(query: Window): Promise<Filter | null> {
    const channel = await this.models()
      .recordingChannels.findOne({ _id: query.channelId })
      .lean<RecordingChannelDoc>()
      .exec();
    if (!channel) return null;
    return {
      channelId: query.channelId,
      start: { $gte: query.from - channel.maxDurationMs, $lt: query.to },
      end: { $gt: query.from },
    };
  }
}

/** Two first upserts of one _id can race on the primary key: the loser's retry updates the winner. */
async function retryOnceOnDuplicateKey<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return write();
  }
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;
}
