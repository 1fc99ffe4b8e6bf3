import { escapeXmlText } from '../sip/manscdp/xml-build';
import type { Channel } from '../storage/types';

/** How one channel looks to an upper: IDs translated, parent re-pointed, status with the device's presence. */
export interface CatalogEntry {
  channel: Channel;
  /** The ID the upper sees. */
  id: string;
  /** The upper-side ID of the parent: a shared node, else our platform ID. */
  parentId: string;
  /** Business group the upper sees (virtual organisations and channels under one), or null. */
  businessGroupId: string | null;
  online: boolean;
}

/** Text that escapeXmlText would change: markup characters, C0 controls other than tab/LF/CR, surrogates, U+FFFE/F. */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26 || c === 0x3c || c === 0x3e) return true;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
    if ((c >= 0xd800 && c <= 0xdfff) || c >= 0xfffe) return true;
  }
  return false;
}

// A catalog of 30,000 channels is ~450,000 elements: written as strings here (escaping only
// text that needs it), not through the generic XML builder, which costs ~1 s for that many.
function el(name: string, value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return `<${name}>${needsEscape(text) ? escapeXmlText(text) : text}</${name}>\n`;
}

/**
 * One `<Item>` of a Catalog Response or NOTIFY, with the fields city platforms expect
 * (GB/T 28181 A.2.6.4): business groups carry only ID, name and parent; virtual organisations add
 * BusinessGroupID; channels the full set. `event` adds the NOTIFY's <Event>.
 */
export function catalogItem(entry: CatalogEntry, event?: string): string {
  const c = entry.channel;
  let out = `<Item>\n${el('DeviceID', entry.id)}${el('Name', c.name ?? entry.id)}`;
  if (event !== undefined) out += el('Event', event);
  if (c.typeCode === '215') return `${out}${el('ParentID', entry.parentId)}</Item>\n`;
  if (c.typeCode === '216') {
    out += el('ParentID', entry.parentId);
    if (entry.businessGroupId !== null) out += el('BusinessGroupID', entry.businessGroupId);
    return `${out}</Item>\n`;
  }
  out +=
    el('Manufacturer', c.manufacturer) +
    el('Model', c.model) +
    el('Owner', c.owner ?? 'Owner') +
    el('CivilCode', c.civilCode ?? entry.id.slice(0, 6)) +
    el('Address', c.address) +
    el('Parental', c.parental ? 1 : 0) +
    el('ParentID', entry.parentId) +
    el('SafetyWay', 0) +
    el('RegisterWay', c.registerWay ?? 1) +
    el('Secrecy', c.secrecy ?? 0) +
    el('Status', entry.online && c.status !== 'OFF' ? 'ON' : 'OFF');
  if (entry.businessGroupId !== null) out += el('BusinessGroupID', entry.businessGroupId);
  if (c.longitude !== null && c.latitude !== null) out += el('Longitude', c.longitude) + el('Latitude', c.latitude);
  if (c.ptzType !== null) out += `<Info>\n${el('PTZType', c.ptzType)}</Info>\n`;
  return `${out}</Item>\n`;
}

/**
 * The documents of one Catalog answer (root Response) or change notification (root Notify):
 * `perMessage` items each, SumNum the total, the query's SN in every part (Annex M). No entries
 * still gives one document, SumNum 0.
 */
export function catalogDocuments(
  root: 'Response' | 'Notify',
  sn: number,
  localId: string,
  items: readonly string[],
  perMessage: number,
  charset: string,
): string[] {
  const size = Math.max(1, perMessage);
  const head = `<?xml version="1.0" encoding="${charset}"?>\n<${root}>\n${el('CmdType', 'Catalog')}${el('SN', sn)}${el('DeviceID', localId)}${el('SumNum', items.length)}`;
  const out: string[] = [];
  for (let start = 0; start === 0 || start < items.length; start += size) {
    const part = items.slice(start, start + size);
    out.push(`${head}<DeviceList Num="${part.length}">\n${part.join('')}</DeviceList>\n</${root}>\n`);
  }
  return out;
}
