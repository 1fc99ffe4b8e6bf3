/**
 * Readers of the device's answers to control commands: Result (A.2.6.2, A.2.6.8), PresetQuery
 * (A.2.6.10) and ConfigDownload (A.2.6.9). Pure and total over a parsed document.
 */
import { attribute, child, childrenNamed, childText, type ManscdpDocument, type XmlElement } from '../manscdp';
import { readDecimal, readInteger, readNonNegativeInteger } from '../manscdp/values';

/** 'OK' or 'ERROR' as the standard has it; null when there is no Result; any other text as sent. */
export function readResult(doc: ManscdpDocument): string | null {
  const text = childText(doc.element, 'Result');
  if (text === null) return null;
  const upper = text.toUpperCase();
  return upper === 'OK' || upper === 'ERROR' ? upper : text;
}

/** A Result that is not OK. A missing Result counts as success: the answer itself shows the command was taken. */
export function isErrorResult(result: string | null): boolean {
  return result !== null && result !== 'OK';
}

export interface PresetItem {
  id: number;
  name: string | null;
}

export interface PresetListPart {
  /** SumNum (the total over every part); null when the device left it out. */
  sumNum: number | null;
  /** PresetList Num; null when absent. */
  num: number | null;
  items: PresetItem[];
  /** Items whose PresetID is not a whole number from 0 to 65535. */
  skipped: number;
  result: string | null;
}

export function readPresetListPart(doc: ManscdpDocument): PresetListPart {
  const list = child(doc.element, 'PresetList');
  const items: PresetItem[] = [];
  let skipped = 0;
  for (const item of childrenNamed(list, 'Item')) {
    const id = readNonNegativeInteger(childText(item, 'PresetID'));
    if (id === null || id > 65535) {
      skipped++;
      continue;
    }
    items.push({ id, name: childText(item, 'PresetName') });
  }
  return {
    sumNum: readNonNegativeInteger(childText(doc.element, 'SumNum')),
    num: readNonNegativeInteger(attribute(list, 'Num')),
    items,
    skipped,
    result: readResult(doc),
  };
}

export type JsonValue = string | JsonValue[] | { [key: string]: JsonValue };

/**
 * An XML element as JSON: text for a leaf, else an object of its children (a name repeated gives
 * an array); attributes as "@Name". Keys come from the network, so the object has no prototype.
 */
export function elementToJson(el: XmlElement): JsonValue {
  const attrs = Object.entries(el.attrs);
  if (el.children.length === 0 && attrs.length === 0) return el.text.trim();
  const out = Object.create(null) as Record<string, JsonValue>;
  for (const [k, v] of attrs) out[`@${k}`] = v;
  const arrays = new Set<string>();
  for (const c of el.children) {
    const value = elementToJson(c);
    const existing = out[c.name];
    if (existing === undefined) {
      out[c.name] = value;
    } else if (arrays.has(c.name) && Array.isArray(existing)) {
      existing.push(value);
    } else {
      out[c.name] = [existing, value];
      arrays.add(c.name);
    }
  }
  if (el.children.length === 0 && el.text.trim() !== '') out['#text'] = el.text.trim();
  return out;
}

/** BasicParam of a ConfigDownload answer, typed; the device's password (if it sends one) is left out. */
export interface BasicParamView {
  name: string | null;
  deviceId: string | null;
  sipServerId: string | null;
  sipServerIp: string | null;
  sipServerPort: number | null;
  domainName: string | null;
  expiration: number | null;
  heartBeatInterval: number | null;
  heartBeatCount: number | null;
  positionCapability: number | null;
  longitude: number | null;
  latitude: number | null;
}

export function readBasicParam(el: XmlElement): BasicParamView {
  const text = (name: string) => childText(el, name);
  const int = (name: string) => readInteger(text(name));
  return {
    name: text('Name'),
    deviceId: text('DeviceID'),
    sipServerId: text('SIPServerID'),
    sipServerIp: text('SIPServerIP'),
    sipServerPort: int('SIPServerPort'),
    domainName: text('DomainName'),
    expiration: int('Expiration'),
    heartBeatInterval: int('HeartBeatInterval'),
    heartBeatCount: int('HeartBeatCount'),
    positionCapability: int('PositionCapability'),
    longitude: readDecimal(text('Longitude')),
    latitude: readDecimal(text('Latitude')),
  };
}

/** VideoParamOpt: the "/"-separated download speeds and resolutions (A.2.1.20). */
export interface VideoParamOptView {
  downloadSpeed: number[];
  resolution: string[];
}

function slashList(text: string | null): string[] {
  return (text ?? '').split('/').map((s) => s.trim()).filter((s) => s !== '');
}

export function readVideoParamOpt(el: XmlElement): VideoParamOptView {
  return {
    downloadSpeed: slashList(childText(el, 'DownloadSpeed'))
      .map((s) => readDecimal(s))
      .filter((n): n is number => n !== null),
    resolution: slashList(childText(el, 'Resolution')),
  };
}

const HEADER_FIELDS = new Set(['cmdtype', 'sn', 'deviceid', 'result', 'sumnum']);

export interface ConfigDownloadPart {
  result: string | null;
  /** Config type name (as the standard spells it) to its content: typed for BasicParam and VideoParamOpt, generic JSON otherwise. */
  configs: Map<string, unknown>;
}

/** Canonical spellings of the ConfigType values of A.2.4.7 (devices vary the case). */
export const CONFIG_TYPES = [
  'BasicParam',
  'VideoParamOpt',
  'SVACEncodeConfig',
  'SVACDecodeConfig',
  'VideoParamAttribute',
  'VideoRecordPlan',
  'VideoAlarmRecord',
  'PictureMask',
  'FrameMirror',
  'AlarmReport',
  'OSDConfig',
  'SnapShotConfig',
] as const;

const CANONICAL: ReadonlyMap<string, string> = new Map([...CONFIG_TYPES.map((t) => [t.toLowerCase(), t] as const), ['snapshot', 'SnapShotConfig']]);

export function canonicalConfigType(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

export function readConfigDownloadPart(doc: ManscdpDocument): ConfigDownloadPart {
  const configs = new Map<string, unknown>();
  for (const el of doc.element.children) {
    if (HEADER_FIELDS.has(el.name.toLowerCase())) continue;
    const type = canonicalConfigType(el.name);
    if (type === 'BasicParam') configs.set(type, readBasicParam(el));
    else if (type === 'VideoParamOpt') configs.set(type, readVideoParamOpt(el));
    else configs.set(type, elementToJson(el));
  }
  return { result: readResult(doc), configs };
}
