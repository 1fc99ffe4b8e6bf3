import { isCommand, type ManscdpDocument } from '../sip/manscdp/document';
import { child, childrenNamed, childText, type XmlElement } from '../sip/manscdp/xml';
import { readDecimal } from '../sip/manscdp/values';
import { readCoordinates } from './alarm-notify';
import { readDeviceTime } from './alarm-time';

/** One position of a mobile device (A.2.1 itemMobilePositionType), WGS-84. */
export interface PositionReport {
  /** The mobile device (item DeviceID, or the document's DeviceID in the 2016 form). */
  targetId: string;
  /** Capture time, epoch ms (the notification's Time, else the receive time, when the item has none readable). */
  time: number;
  longitude: number;
  latitude: number;
  /** km/h */
  speed: number | null;
  /** Degrees clockwise from north, [0, 360). */
  direction: number | null;
  /** Metres above sea level. */
  altitude: number | null;
}

function readItem(el: XmlElement, targetId: string | null, fallbackTime: number | null, now: number, timeZone: string): PositionReport | null {
  if (targetId === null) return null;
  const { longitude, latitude } = readCoordinates(el);
  if (longitude === null || latitude === null) return null;
  const direction = readDecimal(childText(el, 'Direction'));
  return {
    targetId,
    time: readDeviceTime(childText(el, 'CaptureTime') ?? childText(el, 'Time'), timeZone) ?? fallbackTime ?? now,
    longitude,
    latitude,
    speed: readDecimal(childText(el, 'Speed')),
    direction: direction !== null && direction >= 0 && direction < 360 ? direction : null,
    altitude: readDecimal(childText(el, 'Altitude')),
  };
}

/**
 * The positions of a Notify MobilePosition (A.2.5.6): the 2022 form with a DeviceList of items,
 * or the 2016 form with Longitude/Latitude at the top. Items without a usable position are left
 * out. Null when the document is another command. Total.
 */
export function readMobilePositionNotify(doc: ManscdpDocument, timeZone: string, now = Date.now()): PositionReport[] | null {
  if (!isCommand(doc, 'MobilePosition', ['Notify'])) return null;
  const el = doc.element;
  const time = readDeviceTime(childText(el, 'Time'), timeZone);
  const list = child(el, 'DeviceList');
  const out: PositionReport[] = [];
  if (list !== null) {
    for (const item of childrenNamed(list, 'Item').slice(0, 1000)) {
      const report = readItem(item, childText(item, 'DeviceID') ?? doc.deviceId, time, now, timeZone);
      if (report) out.push(report);
    }
    return out;
  }
  const single = readItem(el, doc.deviceId, time, now, timeZone);
  return single ? [single] : [];
}
