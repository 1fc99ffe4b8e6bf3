import { isCommand, type ManscdpDocument } from './document';
import { child, childrenNamed, childText } from './xml';
import { readFlag, readOnline, readUpper } from './values';

export interface AlarmInputStatus {
  deviceId: string;
  /** DutyStatus: ONDUTY / OFFDUTY / ALARM, upper-cased; null when absent. */
  status: string | null;
}

export interface DeviceStatusResponse {
  deviceId: string | null;
  result: string | null;
  /** `Online` (ONLINE/OFFLINE); null when absent or unreadable. */
  online: boolean | null;
  /** `Status`: OK / ERROR, upper-cased. */
  status: string | null;
  reason: string | null;
  /** `Encode` ON/OFF. */
  encode: boolean | null;
  /** `Record` ON/OFF. */
  record: boolean | null;
  /** Device local time as sent (e.g. "2024-05-17T14:24:54"); the caller applies the time zone. */
  deviceTime: string | null;
  alarms: AlarmInputStatus[];
}

export function readDeviceStatusResponse(doc: ManscdpDocument): DeviceStatusResponse | null {
  if (!isCommand(doc, 'DeviceStatus', ['Response'])) return null;
  const el = doc.element;
  const alarms: AlarmInputStatus[] = [];
  // `child` is case-insensitive: the standard spells it Alarmstatus, some devices AlarmStatus.
  for (const item of childrenNamed(child(el, 'Alarmstatus'), 'Item')) {
    const deviceId = childText(item, 'DeviceID');
    if (deviceId !== null) alarms.push({ deviceId, status: readUpper(childText(item, 'DutyStatus')) });
  }
  return {
    deviceId: doc.deviceId,
    result: readUpper(childText(el, 'Result')),
    online: readOnline(childText(el, 'Online')),
    status: readUpper(childText(el, 'Status')),
    reason: childText(el, 'Reason'),
    encode: readFlag(childText(el, 'Encode')),
    record: readFlag(childText(el, 'Record')),
    deviceTime: childText(el, 'DeviceTime'),
    alarms,
  };
}
