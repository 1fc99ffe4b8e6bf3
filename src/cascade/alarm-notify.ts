import { buildManscdp, type ManscdpField } from '../sip/manscdp';
import { formatGbTime } from '../sip/device/gb-time';

/**
 * An alarm to send upward: from a device (the alarms feature) or raised by the platform itself
 * (watchlist alerts). Times epoch ms UTC.
 */
export interface CascadeAlarm {
  deviceId: string;
  /** The channel the alarm is about; the device itself when absent. */
  channelId?: string | null;
  /** 1 first-level (most urgent) .. 4. */
  priority?: number | string | null;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  method?: number | string | null;
  /** AlarmType within the method (Annex A.2.3 table). */
  type?: number | string | null;
  time: number;
  description?: string | null;
  longitude?: number | null;
  latitude?: number | null;
}

/** The Notify Alarm document for one upper, naming the channel by the ID that upper knows. */
export function alarmDocument(alarm: CascadeAlarm, upperSideId: string, sn: number, charset: string, timeZone: string): string {
  const fields: ManscdpField[] = [
    ['AlarmPriority', alarm.priority ?? 1],
    ['AlarmMethod', alarm.method ?? 2],
    ['AlarmTime', formatGbTime(alarm.time, timeZone)],
    ['AlarmDescription', alarm.description ?? null],
    ['Longitude', alarm.longitude ?? null],
    ['Latitude', alarm.latitude ?? null],
  ];
  if (alarm.type !== undefined && alarm.type !== null) fields.push({ name: 'Info', children: [{ name: 'AlarmType', text: String(alarm.type) }] });
  return buildManscdp('Notify', 'Alarm', sn, upperSideId, fields, { charset, indent: '' });
}

/** A device alarm as stored by the alarm service (src/alarms), as the alarm sent upward: same fields, the source as channel. */
export function cascadeAlarmOf(alarm: {
  deviceId: string;
  sourceId: string;
  priority: number | null;
  method: number | null;
  type: number | null;
  time: number;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
}): CascadeAlarm {
  const { deviceId, sourceId, priority, method, type, time, description, longitude, latitude } = alarm;
  return { deviceId, channelId: sourceId === deviceId ? null : sourceId, priority, method, type, time, description, longitude, latitude };
}
