import { isCommand, type ManscdpDocument } from '../sip/manscdp/document';
import { child, childrenNamed, childText, elementText } from '../sip/manscdp/xml';
import { readDecimal, readInteger } from '../sip/manscdp/values';
import { readDeviceTime } from './alarm-time';

/** A Notify Alarm (GB/T 28181-2022 A.2.5.3), read field by field; anything unreadable is null. */
export interface AlarmNotify {
  sn: number | null;
  /** DeviceID of the body: the alarm source (the device, a channel or an alarm input). */
  sourceId: string | null;
  /** 1-4 (1 is the most urgent). */
  priority: number | null;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  method: number | null;
  /** Info/AlarmType (2022; some 2016 devices put AlarmType at the top level). Meaning depends on the method. */
  type: number | null;
  /** Info/AlarmTypeParam/EventType: 1 entering, 2 leaving (intrusion detection). */
  eventType: number | null;
  /** AlarmTime in epoch ms; null when missing or unreadable. */
  time: number | null;
  /** AlarmTime as sent. */
  timeText: string | null;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
  extraInfo: string[];
}

/** First whole number of a value such as "2", " 5 ", "2/5" or "5.0"; null otherwise. */
function readLeadingInteger(text: string | null): number | null {
  if (text === null) return null;
  const direct = readInteger(text);
  if (direct !== null) return direct;
  const m = /^\s*(\d{1,9})\s*(?:[/,;|]|$)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** WGS-84 degrees; null when absent, out of range, or both 0 (devices write 0.0 for "no fix"). */
export function readCoordinates(el: ManscdpDocument['element'] | null): { longitude: number | null; latitude: number | null } {
  let longitude = readDecimal(childText(el, 'Longitude'));
  let latitude = readDecimal(childText(el, 'Latitude'));
  if (longitude !== null && Math.abs(longitude) > 180) longitude = null;
  if (latitude !== null && Math.abs(latitude) > 90) latitude = null;
  if (longitude === 0 && latitude === 0) return { longitude: null, latitude: null };
  return { longitude, latitude };
}

/** Reads a Notify Alarm document; null when it is another command. Total. */
export function readAlarmNotify(doc: ManscdpDocument, timeZone: string): AlarmNotify | null {
  if (!isCommand(doc, 'Alarm', ['Notify'])) return null;
  const el = doc.element;
  const info = child(el, 'Info');
  const timeText = childText(el, 'AlarmTime');
  const priority = readLeadingInteger(childText(el, 'AlarmPriority'));
  return {
    sn: doc.sn,
    sourceId: doc.deviceId,
    priority: priority !== null && priority >= 0 && priority <= 9 ? priority : null,
    method: readLeadingInteger(childText(el, 'AlarmMethod')),
    type: readLeadingInteger(childText(info, 'AlarmType') ?? childText(el, 'AlarmType')),
    eventType: readLeadingInteger(childText(child(info, 'AlarmTypeParam'), 'EventType') ?? childText(info, 'EventType')),
    time: readDeviceTime(timeText, timeZone),
    timeText,
    description: childText(el, 'AlarmDescription'),
    ...readCoordinates(el),
    extraInfo: childrenNamed(el, 'ExtraInfo')
      .map((e) => elementText(e))
      .filter((t): t is string => t !== null)
      .slice(0, 16)
      .map((t) => t.slice(0, 1024)),
  };
}
