import { buildManscdp, readGbDateTime, type ManscdpDocument, type XmlElementInput } from '../sip/manscdp';
import { childText } from '../sip/manscdp/xml';
import { formatGbTime } from '../sip/device/gb-time';
import type { RecordType } from '../sip/device/record-info-collector';
import type { IndexStore } from '../storage/ports';
import type { Channel } from '../storage/types';

export interface RecordInfoAsk {
  start: number;
  end: number;
  type: RecordType;
}

/** One recording in an answer to the upper, times epoch ms. */
export interface RecordInfoEntry {
  start: number;
  end: number;
  type: string;
  filePath: string;
  fileSize: number | null;
}

/** Longest window answered from our recordings (a month of coverage is ~0.5 s of index work). */
const MAX_WINDOW_MS = 31 * 24 * 3600 * 1000;

const RECORD_TYPES = new Set<RecordType>(['all', 'time', 'alarm', 'manual']);

/** The window and type of an upper's RecordInfo query; null when the times are unreadable. */
export function readRecordInfoAsk(doc: ManscdpDocument, timeZone: string): RecordInfoAsk | null {
  const start = readGbDateTime(childText(doc.element, 'StartTime'), timeZone);
  const end = readGbDateTime(childText(doc.element, 'EndTime'), timeZone);
  if (start === null || end === null || end <= start) return null;
  const typeText = (childText(doc.element, 'Type') ?? 'all').toLowerCase() as RecordType;
  return { start, end: Math.min(end, start + MAX_WINDOW_MS), type: RECORD_TYPES.has(typeText) ? typeText : 'all' };
}

/**
 * The platform's own footage of a channel in the window, as RecordInfo items: merged recorded
 * ranges (segments closer than 2 s joined), so that an upper sees spans, not one item per minute.
 * Our recordings are all continuous ('time'): an alarm or manual query finds none.
 */
export async function platformRecordings(index: IndexStore, channel: Channel, ask: RecordInfoAsk): Promise<RecordInfoEntry[]> {
  if (ask.type === 'alarm' || ask.type === 'manual') return [];
  const coverage = await index.recordingCoverage({ channelId: channel.channelId, from: ask.start, to: ask.end });
  return coverage.ranges.map((range) => ({
    start: range.start,
    end: range.end,
    type: 'time',
    filePath: `${channel.channelId}/${range.start}-${range.end}`,
    fileSize: null,
  }));
}

/** The Response documents: `perMessage` items each, SumNum the total, the query's SN in every part. */
export function recordInfoDocuments(
  sn: number,
  upperChannelId: string,
  name: string,
  entries: readonly RecordInfoEntry[],
  options: { perMessage: number; charset: string; timeZone: string; recorderId: string },
): string[] {
  const items: XmlElementInput[] = entries.map((e) => ({
    name: 'Item',
    children: [
      { name: 'DeviceID', text: upperChannelId },
      { name: 'Name', text: name },
      { name: 'FilePath', text: e.filePath },
      { name: 'Address', text: '' },
      { name: 'StartTime', text: formatGbTime(e.start, options.timeZone) },
      { name: 'EndTime', text: formatGbTime(e.end, options.timeZone) },
      { name: 'Secrecy', text: '0' },
      { name: 'Type', text: e.type },
      { name: 'RecorderID', text: options.recorderId },
      ...(e.fileSize !== null ? [{ name: 'FileSize', text: String(e.fileSize) }] : []),
    ],
  }));
  const size = Math.max(1, options.perMessage);
  const out: string[] = [];
  for (let start = 0; start === 0 || start < items.length; start += size) {
    const part = items.slice(start, start + size);
    const list: XmlElementInput[] = part.length > 0 ? [{ name: 'RecordList', attrs: { Num: String(part.length) }, children: part }] : [];
    out.push(
      buildManscdp('Response', 'RecordInfo', sn, upperChannelId, [['Name', name], ['SumNum', items.length], ...list], {
        charset: options.charset,
        indent: '',
      }),
    );
  }
  return out;
}
