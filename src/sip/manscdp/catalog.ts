import type { ChannelStatus, ChannelUpdate } from '../../storage/types';
import { gbTypeCode, isOrganisationType } from '../gbid';
import { isCommand, type ManscdpDocument } from './document';
import { attribute, child, childrenNamed, childText, type XmlElement } from './xml';
import {
  readChannelStatus,
  readDecimal,
  readFlag,
  readInteger,
  readNonNegativeInteger,
  readPort,
  readUpper,
} from './values';

/**
 * One catalog item: a ChannelUpdate plus the NOTIFY event. `parentId` is the first ParentID
 * value (the 2022 text allows several, separated by '/'). Use `toChannelUpdate` before storing.
 */
export interface CatalogItem extends ChannelUpdate {
  /** Catalog NOTIFY only: ADD / DEL / UPDATE / ON / OFF / VLOST / DEFECT (upper-cased). */
  event?: string;
}

export interface CatalogMessage {
  kind: 'response' | 'notify';
  deviceId: string | null;
  sn: number | null;
  /** Total items across every message of this answer (SumNum); falls back to Num, then to the items here. */
  sumNum: number;
  items: CatalogItem[];
  /** Items dropped because they had no DeviceID. */
  skipped: number;
}

const CIVIL_CODE_ID = /^(?:\d{2}|\d{4}|\d{6}|\d{8})$/;

function statusFromEvent(event: string | null): ChannelStatus {
  if (event === 'ON') return 'ON';
  if (event === 'OFF' || event === 'VLOST' || event === 'DEFECT') return 'OFF';
  return 'UNKNOWN';
}

/**
 * Longitude/latitude, null when absent, out of range, or both 0 (devices write 0.0 for "unset"
 * and a point in the Gulf of Guinea helps nobody).
 */
function readPosition(item: XmlElement): { longitude: number | null; latitude: number | null } {
  let longitude = readDecimal(childText(item, 'Longitude'));
  let latitude = readDecimal(childText(item, 'Latitude'));
  if (longitude !== null && Math.abs(longitude) > 180) longitude = null;
  if (latitude !== null && Math.abs(latitude) > 90) latitude = null;
  if (longitude === 0 && latitude === 0) return { longitude: null, latitude: null };
  return { longitude, latitude };
}

function readItem(item: XmlElement): CatalogItem | null {
  const channelId = childText(item, 'DeviceID');
  if (channelId === null) return null;
  const typeCode = gbTypeCode(channelId);
  const parentId =
    (childText(item, 'ParentID') ?? '')
      .split('/')
      .map((p) => p.trim())
      .find((p) => p !== '' && p.toLowerCase() !== 'null') ?? null;
  const event = readUpper(childText(item, 'Event'));
  const statusText = childText(item, 'Status');
  // Business groups, virtual organisations and civil-code nodes are tree nodes: parents by nature.
  const parental =
    readFlag(childText(item, 'Parental')) ?? (isOrganisationType(typeCode) || CIVIL_CODE_ID.test(channelId));
  const out: CatalogItem = {
    channelId,
    name: childText(item, 'Name'),
    manufacturer: childText(item, 'Manufacturer'),
    model: childText(item, 'Model'),
    owner: childText(item, 'Owner'),
    civilCode: childText(item, 'CivilCode'),
    block: childText(item, 'Block'),
    address: childText(item, 'Address'),
    parental,
    parentId,
    businessGroupId: childText(item, 'BusinessGroupID'),
    registerWay: readInteger(childText(item, 'RegisterWay')),
    secrecy: readInteger(childText(item, 'Secrecy')),
    // Kept as sent, even when a device puts an RTSP URL here: it is informative and never dialled.
    ipAddress: childText(item, 'IPAddress'),
    port: readPort(childText(item, 'Port')),
    status: statusText !== null ? readChannelStatus(statusText) : statusFromEvent(event),
    ...readPosition(item),
    ptzType: readNonNegativeInteger(childText(child(item, 'Info'), 'PTZType') ?? childText(item, 'PTZType')),
    typeCode,
  };
  if (event !== null) out.event = event;
  return out;
}

/**
 * A Catalog answer (Response) or a catalog change notification (Notify, Annex N). Items without
 * a DeviceID are counted in `skipped`; everything else is tolerated field by field.
 */
export function readCatalogResponse(doc: ManscdpDocument): CatalogMessage | null {
  if (!isCommand(doc, 'Catalog', ['Response', 'Notify'])) return null;
  const list = child(doc.element, 'DeviceList');
  const items: CatalogItem[] = [];
  let skipped = 0;
  for (const el of childrenNamed(list, 'Item')) {
    const item = readItem(el);
    if (item === null) skipped++;
    else items.push(item);
  }
  const sumNum =
    readNonNegativeInteger(childText(doc.element, 'SumNum')) ??
    readNonNegativeInteger(attribute(list, 'Num')) ??
    items.length;
  return { kind: doc.root === 'Notify' ? 'notify' : 'response', deviceId: doc.deviceId, sn: doc.sn, sumNum, items, skipped };
}

/** Exactly the ChannelUpdate fields of a catalog item, for the index store. */
export function toChannelUpdate(item: CatalogItem): ChannelUpdate {
  return {
    channelId: item.channelId,
    name: item.name,
    manufacturer: item.manufacturer,
    model: item.model,
    owner: item.owner,
    civilCode: item.civilCode,
    block: item.block,
    address: item.address,
    parental: item.parental,
    parentId: item.parentId,
    businessGroupId: item.businessGroupId,
    registerWay: item.registerWay,
    secrecy: item.secrecy,
    ipAddress: item.ipAddress,
    port: item.port,
    status: item.status,
    longitude: item.longitude,
    latitude: item.latitude,
    ptzType: item.ptzType,
    typeCode: item.typeCode,
  };
}
