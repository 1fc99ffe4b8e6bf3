import { isCommand, type ManscdpDocument } from './document';
import { child, childrenNamed, childText, elementText } from './xml';
import { readUpper } from './values';

export interface KeepaliveInfo {
  deviceId: string | null;
  sn: number | null;
  /** "OK" or "ERROR" in the standard; upper-cased; null when absent. */
  status: string | null;
  /** IDs an NVR lists in `<Info>` for channels that are faulty or offline. */
  faultyChannelIds: string[];
}

export function readKeepalive(doc: ManscdpDocument): KeepaliveInfo | null {
  if (!isCommand(doc, 'Keepalive', ['Notify'])) return null;
  const ids = new Set<string>();
  for (const el of childrenNamed(child(doc.element, 'Info'), 'DeviceID')) {
    const id = elementText(el);
    if (id !== null) ids.add(id);
  }
  return {
    deviceId: doc.deviceId,
    sn: doc.sn,
    status: readUpper(childText(doc.element, 'Status')),
    faultyChannelIds: [...ids],
  };
}
