import type Database from 'better-sqlite3';
import { CoverageBuilder } from '../recording-coverage';
import { checkRecordingWindow, recordingLimitOf } from '../recordings';
import type { RecordingCoverage, RecordingQuery, RecordingSegment, RecordingTotals } from '../types';

/**
 * The recording-segment half of the SQLite index store (schema: migration 2). The store owns the
 * connection, the statement cache and the write batch; this class holds the SQL. Input is already
 * checked and normalized by the store (src/storage/recordings.ts).
 */

type Prepare = <P extends unknown[], R>(sql: string) => Database.Statement<P, R>;

type RecordingSegmentRow = Omit<RecordingSegment, 'locked'> & { locked: number };

const COLUMNS = [
  'id', 'channelId', 'deviceId', 'start', 'end', 'path', 'bytes', 'videoCodec', 'audioCodec', 'width', 'height',
  'locked', 'createdAt',
] as const satisfies readonly (keyof RecordingSegment)[];

const quote = (column: string) => `"${column}"`;
const SELECT_COLUMNS = COLUMNS.map(quote).join(', ');

const INSERT_SQL =
  `INSERT INTO recording_segments (${SELECT_COLUMNS}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ` +
  'ON CONFLICT (id) DO NOTHING';

/** A re-added segment: every field replaced, but a lock stays (only setRecordingLock lifts it). */
const REPLACE_SQL = `UPDATE recording_segments SET ${COLUMNS.filter((c) => c !== 'id' && c !== 'locked')
  .map((c) => `${quote(c)} = @${c}`)
  .join(', ')}, locked = max(locked, @locked) WHERE id = @id`;

/** Adds to a channel's counters and raises its longest duration; creates its row on first use. */
const COUNT_SQL =
  'INSERT INTO recording_channels (channelId, maxDurationMs, segments, bytes) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (channelId) DO UPDATE SET maxDurationMs = max(maxDurationMs, excluded.maxDurationMs), ' +
  'segments = segments + excluded.segments, bytes = bytes + excluded.bytes';

/**
 * Segments of @channelId overlapping [@from, @to). The start bound below `from` is what keeps it a
 * short range scan of recording_segments_channel_start; with no segment ever stored for the
 * channel the subquery is NULL and nothing matches, which is right.
 */
export const OVERLAP_WHERE =
  'channelId = @channelId AND start < @to AND "end" > @from ' +
  'AND start >= @from - (SELECT maxDurationMs FROM recording_channels WHERE channelId = @channelId)';

interface Window {
  channelId: string;
  from: number;
  to: number;
}

/** An aggregate that feeds the rows it sees to the coverage being built (see coverage()). */
const COVERAGE_AGGREGATE = 'gbvms_recording_coverage';

export class SqliteRecordingIndex {
  private building: CoverageBuilder | null = null;
  private aggregateOn: Database.Database | null = null;

  constructor(
    private readonly db: () => Database.Database,
    private readonly prepare: Prepare,
  ) {}

  /**
   * Atomic: a savepoint inside the store's batch transaction, or a transaction of its own. A new
   * id (the usual case) costs one INSERT; a known one is read back first to move its counts.
   */
  write(segments: readonly RecordingSegment[]): void {
    if (segments.length === 0) return;
    const insert = this.prepare<unknown[], unknown>(INSERT_SQL);
    const stored = this.prepare<[string], { channelId: string; bytes: number }>(
      'SELECT channelId, bytes FROM recording_segments WHERE id = ?',
    );
    const replace = this.prepare<[RecordingSegmentRow], unknown>(REPLACE_SQL);
    this.db().transaction(() => {
      const counts = new ChannelCounts();
      for (const s of segments) {
        counts.add(s.channelId, 1, s.bytes, s.end - s.start);
        const locked = s.locked ? 1 : 0;
        const inserted = insert.run(
          s.id, s.channelId, s.deviceId, s.start, s.end, s.path, s.bytes, s.videoCodec, s.audioCodec, s.width, s.height,
          locked, s.createdAt,
        );
        if (inserted.changes === 1) continue;
        const old = stored.get(s.id);
        if (old) counts.add(old.channelId, -1, -old.bytes, 0);
        replace.run({ ...s, locked });
      }
      counts.save(this.prepare<[string, number, number, number], unknown>(COUNT_SQL));
    })();
  }

  list(query: RecordingQuery): RecordingSegment[] {
    checkRecordingWindow(query);
    const limit = recordingLimitOf(query.limit);
    if (query.from === query.to || limit === 0) return [];
    const rows = this.prepare<[Window & { limit: number }], RecordingSegmentRow>(
      `SELECT ${SELECT_COLUMNS} FROM recording_segments WHERE ${OVERLAP_WHERE} ORDER BY start, id LIMIT @limit`,
    ).all({ ...windowOf(query), limit: limit ?? -1 });
    return rows.map(rowToSegment);
  }

  /**
   * A month of one channel is ~43,000 segments: turning each into a JS row costs ~3x the index
   * scan (bench/recordings-query.ts), so the rows go straight from SQLite into the shared
   * CoverageBuilder through an aggregate function, and only the ranges come out. The scan is in
   * start order (the index order), the builder's fast path; any order would give the same result.
   */
  coverage(query: RecordingQuery, joinGapMs: number): RecordingCoverage {
    checkRecordingWindow(query);
    const builder = new CoverageBuilder(query.from, query.to, joinGapMs);
    if (query.from === query.to) return builder.finish();
    const scan = this.prepareCoverageScan();
    this.building = builder;
    try {
      scan.get(windowOf(query));
    } finally {
      this.building = null;
    }
    return builder.finish();
  }

  private prepareCoverageScan(): Database.Statement<[Window], unknown> {
    const db = this.db();
    if (this.aggregateOn !== db) {
      db.aggregate(COVERAGE_AGGREGATE, {
        start: 0,
        varargs: true,
        // (start, end, bytes): INTEGER columns arrive as numbers (safeIntegers is off).
        step: (_total: unknown, ...row: unknown[]) => {
          this.building?.add(row[0] as number, row[1] as number, row[2] as number);
        },
        result: () => null,
      });
      this.aggregateOn = db;
    }
    return this.prepare<[Window], unknown>(
      `SELECT ${COVERAGE_AGGREGATE}(start, "end", bytes) FROM recording_segments WHERE ${OVERLAP_WHERE}`,
    );
  }

  get(id: string): RecordingSegment | null {
    const row = this.prepare<[string], RecordingSegmentRow>(
      `SELECT ${SELECT_COLUMNS} FROM recording_segments WHERE id = ?`,
    ).get(id);
    return row ? rowToSegment(row) : null;
  }

  delete(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    const remove = this.prepare<[string], { channelId: string; bytes: number }>(
      'DELETE FROM recording_segments WHERE id = ? AND locked = 0 RETURNING channelId, bytes',
    );
    const count = this.prepare<[string, number, number, number], unknown>(COUNT_SQL);
    return this.db().transaction(() => {
      const counts = new ChannelCounts();
      let deleted = 0;
      for (const id of new Set(ids)) {
        const gone = remove.get(id);
        if (!gone) continue;
        deleted += 1;
        counts.add(gone.channelId, -1, -gone.bytes, 0);
      }
      counts.save(count);
      return deleted;
    })();
  }

  oldest(query: { limit: number; channelId?: string; endBefore?: number }): RecordingSegment[] {
    const limit = recordingLimitOf(query.limit) ?? 0;
    if (limit === 0) return [];
    const where = ['locked = 0'];
    const params: Record<string, unknown> = { limit };
    if (query.channelId !== undefined) {
      where.push('channelId = @channelId');
      params.channelId = query.channelId;
    }
    if (query.endBefore !== undefined) {
      if (!Number.isFinite(query.endBefore)) throw new RangeError(`endBefore must be a finite number (got ${query.endBefore})`);
      where.push('"end" <= @endBefore');
      params.endBefore = query.endBefore;
    }
    const rows = this.prepare<[Record<string, unknown>], RecordingSegmentRow>(
      `SELECT ${SELECT_COLUMNS} FROM recording_segments WHERE ${where.join(' AND ')} ORDER BY "end", id LIMIT @limit`,
    ).all(params);
    return rows.map(rowToSegment);
  }

  setLock(query: Window & { locked: boolean }): number {
    checkRecordingWindow(query);
    if (query.from === query.to) return 0;
    return this.prepare<[Window & { locked: number }], unknown>(
      `UPDATE recording_segments SET locked = @locked WHERE ${OVERLAP_WHERE}`,
    ).run({ ...windowOf(query), locked: query.locked ? 1 : 0 }).changes;
  }

  /** From the per-channel counters that write() and delete() keep: no scan. */
  totals(channelId?: string): RecordingTotals {
    const row =
      channelId === undefined
        ? this.prepare<[], RecordingTotals>(
            'SELECT COALESCE(SUM(segments), 0) AS segments, COALESCE(SUM(bytes), 0) AS bytes FROM recording_channels',
          ).get()
        : this.prepare<[string], RecordingTotals>('SELECT segments, bytes FROM recording_channels WHERE channelId = ?').get(
            channelId,
          );
    return row ?? { segments: 0, bytes: 0 };
  }
}

/** The window's own fields: a caller's other fields (limit, joinGapMs, a boolean locked) are never bound. */
function windowOf(query: Window): Window {
  return { channelId: query.channelId, from: query.from, to: query.to };
}

function rowToSegment(row: RecordingSegmentRow): RecordingSegment {
  return { ...row, locked: row.locked === 1 };
}

/** Changes to recording_channels of one write, applied once per channel. */
class ChannelCounts {
  private readonly byChannel = new Map<string, { segments: number; bytes: number; maxDurationMs: number }>();

  add(channelId: string, segments: number, bytes: number, durationMs: number): void {
    const entry = this.byChannel.get(channelId);
    if (!entry) {
      this.byChannel.set(channelId, { segments, bytes, maxDurationMs: durationMs });
      return;
    }
    entry.segments += segments;
    entry.bytes += bytes;
    if (durationMs > entry.maxDurationMs) entry.maxDurationMs = durationMs;
  }

  save(count: Database.Statement<[string, number, number, number], unknown>): void {
    for (const [channelId, c] of this.byChannel) count.run(channelId, c.maxDurationMs, c.segments, c.bytes);
  }
}
