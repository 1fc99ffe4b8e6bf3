/**
 * Recordings a simulated device holds on its own disk, and how it answers a RecordInfo query about
 * them: the matching files, SumNum the total, split into MESSAGEs of a few items (Annex M), with
 * the quirks of real NVRs (space instead of `T`, parts whose items are out of order).
 * Independent of src/sip/manscdp: the query is read by pattern, the answer written as text.
 */
import { localTimeString, recordInfoBody, type BodyStyle, type RecordItemFields } from './bodies';
import type { SimQuirks } from './types';

export type SimRecordType = 'time' | 'alarm' | 'manual';

/** One recording file; times are epoch ms. Optional fields left undefined are not written. */
export interface SimRecording {
  start: number;
  end: number;
  /** Default 'time'. */
  type?: SimRecordType;
  filePath?: string;
  address?: string;
  fileSize?: number;
  recorderId?: string;
  /** Default: the channel's name. */
  name?: string;
  /** Default 0. */
  secrecy?: number;
}

export interface SimRecordQuery {
  sn: string;
  /** The channel asked about. */
  deviceId: string;
  /** Epoch ms; null when the field is missing or unreadable. */
  start: number | null;
  end: number | null;
  /** Lower-cased; 'all' when absent. */
  type: string;
}

const HOUR_MS = 3600_000;
const TEN_MINUTES_MS = 600_000;
/** 2 Mbit/s for 10 minutes. */
const TEN_MINUTE_FILE_BYTES = 150_000_000;

/**
 * The default disk of a device: one 10-minute file at the top of each of the 24 hours before the
 * hour `now` falls in, newest last; every sixth hour's file is an alarm recording.
 */
export function defaultRecordings(now: number): SimRecording[] {
  const thisHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const out: SimRecording[] = [];
  for (let k = 24; k >= 1; k--) {
    const start = thisHour - k * HOUR_MS;
    const end = start + TEN_MINUTES_MS;
    out.push({
      start,
      end,
      type: k % 6 === 0 ? 'alarm' : 'time',
      filePath: `${start / 1000}_${end / 1000}`,
      fileSize: TEN_MINUTE_FILE_BYTES,
    });
  }
  return out;
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(text)?.[1];
}

/** A device's reading of a GB local time (UTC+8, `T` or space); null when it cannot. */
export function parseLocalTime(text: string | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})/.exec(text ?? '');
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(ms) ? ms - 8 * HOUR_MS : null;
}

/** The RecordInfo fields of a Query body (read on the ASCII view, as firmware does). */
export function readRecordQuery(body: Buffer): SimRecordQuery | undefined {
  const text = body.toString('latin1');
  if (!/<Query\b/.test(text) || field(text, 'CmdType') !== 'RecordInfo') return undefined;
  return {
    sn: field(text, 'SN') ?? '0',
    deviceId: field(text, 'DeviceID') ?? '',
    start: parseLocalTime(field(text, 'StartTime')),
    end: parseLocalTime(field(text, 'EndTime')),
    type: (field(text, 'Type') ?? 'all').toLowerCase() || 'all',
  };
}

/** Files overlapping the query's range, of its type; nothing when the range is unreadable. */
export function selectRecordings(all: readonly SimRecording[], query: SimRecordQuery): SimRecording[] {
  const { start, end } = query;
  if (start === null || end === null) return [];
  return all.filter((r) => r.start < end && r.end > start && (query.type === 'all' || (r.type ?? 'time') === query.type));
}

/**
 * Cuts the answer into parts of at most `perMessage` items. In order: oldest first, consecutive.
 * Out of order (some NVRs walk their disks in their own order): newest first, dealt round-robin,
 * so every part spans the whole range.
 */
export function splitRecordParts(items: readonly SimRecording[], perMessage: number, outOfOrder: boolean): SimRecording[][] {
  const size = Math.max(1, perMessage);
  const count = Math.ceil(items.length / size);
  if (count === 0) return [];
  if (!outOfOrder) return Array.from({ length: count }, (_, i) => items.slice(i * size, (i + 1) * size));
  const parts: SimRecording[][] = Array.from({ length: count }, () => []);
  [...items].reverse().forEach((item, i) => parts[i % count]?.push(item));
  return parts;
}

/** A time as the device writes it: local UTC+8 wall clock, `T` or a space between date and time. */
export function deviceTime(ms: number, separator: 'T' | ' '): string {
  const text = localTimeString(new Date(ms));
  return separator === 'T' ? text : text.replace('T', ' ');
}

export interface RecordAnswerContext {
  style: BodyStyle;
  quirks: SimQuirks;
  /** The device's own ID and whether it is a single camera (which also answers for its own ID). */
  deviceId: string;
  singleCamera: boolean;
  channelIds: readonly string[];
  channelNames: readonly string[];
  recordingsOf(channelId: string): SimRecording[];
  /** Sends one MESSAGE, resolves with its final status. */
  send(body: Buffer): Promise<number>;
  stopped(): boolean;
}

const DEFAULT_ITEMS_PER_MESSAGE = 10;

function itemFields(rec: SimRecording, channelId: string, channelName: string, separator: 'T' | ' '): RecordItemFields {
  return {
    deviceId: channelId,
    name: rec.name ?? channelName,
    filePath: rec.filePath,
    address: rec.address ?? channelName,
    startTime: deviceTime(rec.start, separator),
    endTime: deviceTime(rec.end, separator),
    secrecy: rec.secrecy ?? 0,
    type: rec.type ?? 'time',
    recorderId: rec.recorderId,
    fileSize: rec.fileSize,
  };
}

/**
 * Answers a RecordInfo query: the matching files of the channel asked about (none for an ID the
 * device does not have), part after part, each sent once the previous one was answered. Resolves
 * with the statuses of the parts sent; undefined when the body is no RecordInfo query.
 */
export async function answerRecordInfo(ctx: RecordAnswerContext, body: Buffer): Promise<{ sn: string; statuses: number[] } | undefined> {
  const query = readRecordQuery(body);
  if (!query) return undefined;
  let index = ctx.channelIds.indexOf(query.deviceId);
  if (index < 0 && ctx.singleCamera && query.deviceId === ctx.deviceId) index = 0;
  const channelName = ctx.channelNames[index] ?? '';
  const matching = index < 0 ? [] : selectRecordings(ctx.recordingsOf(query.deviceId), query).sort((a, b) => a.start - b.start);
  const { quirks } = ctx;
  const separator = quirks.recordTimeWithSpace ? ' ' : 'T';
  const parts = splitRecordParts(matching, quirks.recordInfoItemsPerMessage ?? DEFAULT_ITEMS_PER_MESSAGE, quirks.recordItemsOutOfOrder === true);
  const toSend = parts.length === 0 ? [[]] : parts.slice(0, quirks.recordInfoStopAfterParts ?? parts.length);
  const statuses: number[] = [];
  for (const part of toSend) {
    if (ctx.stopped()) break;
    const items = part.map((rec) => itemFields(rec, query.deviceId, channelName, separator));
    const status = await ctx.send(recordInfoBody(ctx.style, query.sn, query.deviceId, channelName, matching.length, items));
    statuses.push(status);
    if (status < 200 || status >= 300) break;
  }
  return { sn: query.sn, statuses };
}
