import { parseGbTime } from '../device/gb-time';
import { isCommand, type ManscdpDocument } from './document';
import { attribute, child, childrenNamed, childText, type XmlElement } from './xml';
import { readInteger, readNonNegativeInteger } from './values';

/** One recording a device holds on its own disk (A.2.1 itemFileType), times in epoch ms UTC. */
export interface RecordInfoItem {
  /** The channel that recorded it; the answer's DeviceID when the item has none. */
  deviceId: string | null;
  name: string | null;
  filePath: string | null;
  address: string | null;
  start: number;
  end: number;
  secrecy: number | null;
  /** time / alarm / manual (lower-cased; other words kept as sent, lower-cased). */
  type: string | null;
  recorderId: string | null;
  /** Bytes; null when absent or not a whole number. */
  fileSize: number | null;
  /** 0 main stream, 1 first sub-stream, ... (2022). */
  streamNumber: number | null;
}

/** One MESSAGE of a RecordInfo answer (an answer may come in several, Annex M). */
export interface RecordInfoMessage {
  deviceId: string | null;
  sn: number | null;
  /** Device or area name. */
  name: string | null;
  /** Items across every message of the answer (SumNum); falls back to Num, then to the items here. */
  sumNum: number;
  items: RecordInfoItem[];
  /** Items left out: no readable StartTime or EndTime, or an end before the start. */
  skipped: number;
}

const GB_DATE_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:T|\s+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}

/**
 * A MANSCDP dateTime as epoch ms. The standard's form is local wall-clock time without a zone
 * (read in `timeZone`); devices also write a space for the `T`, unpadded fields, fractions, and
 * now and then a zone suffix, which is then honoured. `24:00:00` is the next midnight. Null when
 * unreadable or not a real date.
 */
export function readGbDateTime(text: string | null, timeZone: string): number | null {
  if (text === null) return null;
  const m = GB_DATE_TIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || minute > 59 || second > 59) return null;
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0))) return null;
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const millis = Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const zone = m[8];
  if (zone !== undefined) return wallClock - zoneOffsetMinutes(zone) * 60_000;
  return parseGbTime(new Date(wallClock).toISOString().slice(0, 23), timeZone);
}

function readItem(el: XmlElement, answerDeviceId: string | null, timeZone: string): RecordInfoItem | null {
  const start = readGbDateTime(childText(el, 'StartTime'), timeZone);
  const end = readGbDateTime(childText(el, 'EndTime'), timeZone);
  if (start === null || end === null || end < start) return null;
  return {
    deviceId: childText(el, 'DeviceID') ?? answerDeviceId,
    name: childText(el, 'Name'),
    filePath: childText(el, 'FilePath'),
    address: childText(el, 'Address'),
    start,
    end,
    secrecy: readInteger(childText(el, 'Secrecy')),
    type: childText(el, 'Type')?.toLowerCase() ?? null,
    recorderId: childText(el, 'RecorderID'),
    fileSize: readNonNegativeInteger(childText(el, 'FileSize')),
    streamNumber: readNonNegativeInteger(childText(el, 'StreamNumber')),
  };
}

/**
 * A RecordInfo answer (A.2.6.7), one MESSAGE of it. Times are read in `timeZone` (the platform's
 * configured zone, as GB/T 28181 carries local time). Items without usable times are counted in
 * `skipped`; every other field is tolerated one by one. SumNum 0 comes without a RecordList.
 */
export function readRecordInfoResponse(doc: ManscdpDocument, timeZone: string): RecordInfoMessage | null {
  if (!isCommand(doc, 'RecordInfo', ['Response'])) return null;
  const list = child(doc.element, 'RecordList');
  const items: RecordInfoItem[] = [];
  let skipped = 0;
  for (const el of childrenNamed(list, 'Item')) {
    const item = readItem(el, doc.deviceId, timeZone);
    if (item === null) skipped++;
    else items.push(item);
  }
  const sumNum =
    readNonNegativeInteger(childText(doc.element, 'SumNum')) ??
    readNonNegativeInteger(attribute(list, 'Num')) ??
    items.length + skipped;
  return { deviceId: doc.deviceId, sn: doc.sn, name: childText(doc.element, 'Name'), sumNum, items, skipped };
}
