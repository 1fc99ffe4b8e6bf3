import { isCommand, type ManscdpDocument } from './document';
import { childText } from './xml';
import { readNonNegativeInteger, readUpper } from './values';

export interface DeviceInfoResponse {
  deviceId: string | null;
  deviceName: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  /** `Channel`: number of video inputs; null when absent or not a number. */
  channelCount: number | null;
  /** "OK" / "ERROR", upper-cased. */
  result: string | null;
  /** Vendor extension (Dahua sends e.g. "SD", "IPC", "NVR"). */
  deviceType: string | null;
}

export function readDeviceInfoResponse(doc: ManscdpDocument): DeviceInfoResponse | null {
  if (!isCommand(doc, 'DeviceInfo', ['Response'])) return null;
  const el = doc.element;
  return {
    deviceId: doc.deviceId,
    deviceName: childText(el, 'DeviceName'),
    manufacturer: childText(el, 'Manufacturer'),
    model: childText(el, 'Model'),
    firmware: childText(el, 'Firmware'),
    channelCount: readNonNegativeInteger(childText(el, 'Channel')),
    result: readUpper(childText(el, 'Result')),
    deviceType: childText(el, 'DeviceType'),
  };
}
