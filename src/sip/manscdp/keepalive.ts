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

// Bytes read as latin1, so that the GB charsets' and UTF-8's ASCII range reads as itself.
const KEEPALIVE_HEAD = /^(?:\xEF\xBB\xBF)?\s*(?:<\?xml[^<>]{0,200}\?>\s*)?<Notify\s*>\s*<CmdType\s*>\s*Keepalive\s*<\/CmdType\s*>/i;
const NOTIFY_TAIL = /<\/Notify\s*>[\s\0]*$/i;
const HEAD_BYTES = 320;
const TAIL_BYTES = 32;

/**
 * Recognizes the usual keepalive body without decoding or parsing it: `<Notify>` (after an
 * optional BOM and XML declaration) whose first child is `<CmdType>Keepalive</CmdType>`, and
 * that ends with `</Notify>`. Keepalives are most of a node's traffic (30,000 devices send 500/s)
 * and the handler needs nothing from the body. Anything else, a keepalive laid out otherwise
 * included, goes through parseManscdp.
 */
export function isPlainKeepalive(body: Buffer): boolean {
  if (body.length < 40) return false;
  return (
    KEEPALIVE_HEAD.test(body.toString('latin1', 0, Math.min(body.length, HEAD_BYTES))) &&
    NOTIFY_TAIL.test(body.toString('latin1', Math.max(0, body.length - TAIL_BYTES)))
  );
}
