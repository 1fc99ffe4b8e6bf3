import type { ManscdpRoot } from './document';
import { buildXml, type XmlElementInput } from './xml';

/** A field of a MANSCDP document: `[name, value]` (null/undefined values are left out) or a nested element. */
export type ManscdpField = readonly [string, string | number | null | undefined] | XmlElementInput;

export interface ManscdpBuildOptions {
  /** Charset named in the declaration; encodeXmlBody rewrites it to the one it encodes with. Default GB2312. */
  charset?: string;
  indent?: string;
}

export type QueryCmdType =
  | 'Catalog'
  | 'DeviceInfo'
  | 'DeviceStatus'
  | 'RecordInfo'
  | 'Alarm'
  | 'ConfigDownload'
  | 'PresetQuery'
  | 'MobilePosition'
  | 'HomePositionQuery'
  | 'CruiseTrackListQuery'
  | 'CruiseTrackQuery'
  | 'PTZPosition'
  | 'SDCardStatus';

function toElement(field: ManscdpField): XmlElementInput | null {
  if (!Array.isArray(field)) return field as XmlElementInput;
  const [name, value] = field as readonly [string, string | number | null | undefined];
  return value === null || value === undefined ? null : { name, text: String(value) };
}

/**
 * A MANSCDP document as text: `<Root><CmdType/><SN/><DeviceID/>...fields</Root>`. DeviceID is
 * left out when null (Broadcast uses SourceID/TargetID instead). Encode with encodeXmlBody.
 */
export function buildManscdp(
  root: ManscdpRoot,
  cmdType: string,
  sn: number,
  deviceId: string | null,
  fields: readonly ManscdpField[] = [],
  options: ManscdpBuildOptions = {},
): string {
  const children: XmlElementInput[] = [
    { name: 'CmdType', text: cmdType },
    { name: 'SN', text: String(sn) },
  ];
  if (deviceId !== null) children.push({ name: 'DeviceID', text: deviceId });
  for (const f of fields) {
    const el = toElement(f);
    if (el !== null) children.push(el);
  }
  const buildOptions = options.indent === undefined ? {} : { indent: options.indent };
  return buildXml({ name: root, children }, options.charset ?? 'GB2312', buildOptions);
}

/** A `<Query>`: Catalog, DeviceInfo, DeviceStatus, RecordInfo (extra: StartTime, EndTime, Type, ...). */
export function buildQuery(
  cmdType: QueryCmdType | (string & {}),
  sn: number,
  deviceId: string,
  extra: ReadonlyArray<readonly [string, string]> = [],
  options: ManscdpBuildOptions = {},
): string {
  return buildManscdp('Query', cmdType, sn, deviceId, extra, options);
}
