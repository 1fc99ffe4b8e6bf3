import { decodeXmlBody } from './charset';
import { childText, parseXml, type XmlElement, type XmlLimits } from './xml';
import { readNonNegativeInteger } from './values';

export type ManscdpRoot = 'Query' | 'Control' | 'Notify' | 'Response';

export interface ManscdpDocument {
  root: ManscdpRoot;
  /** Canonical spelling when the CmdType is one we know ("catalog" -> "Catalog"), else as sent. */
  cmdType: string;
  sn: number | null;
  deviceId: string | null;
  /** The charset the body was decoded with; reply in it unless the device is configured otherwise. */
  charset: string;
  element: XmlElement;
}

export type ManscdpResult<T> = { ok: true; value: T } | { ok: false; error: string };

const ROOTS: readonly ManscdpRoot[] = ['Query', 'Control', 'Notify', 'Response'];

/** CmdTypes of GB/T 28181-2016 and -2022 (Annex A, Annex N). */
export const KNOWN_CMD_TYPES: readonly string[] = [
  'DeviceControl',
  'DeviceConfig',
  'DeviceStatus',
  'Catalog',
  'DeviceInfo',
  'RecordInfo',
  'Alarm',
  'ConfigDownload',
  'PresetQuery',
  'MobilePosition',
  'HomePositionQuery',
  'CruiseTrackListQuery',
  'CruiseTrackQuery',
  'PTZPosition',
  'SDCardStatus',
  'Keepalive',
  'MediaStatus',
  'Broadcast',
  'UploadSnapShotFinished',
  'VideoUploadNotify',
  'DeviceUpgradeResult',
];

const CMD_BY_LOWER: ReadonlyMap<string, string> = new Map(KNOWN_CMD_TYPES.map((c) => [c.toLowerCase(), c]));

/** Bodies larger than this many bytes are refused before decoding. */
export const MAX_MANSCDP_BYTES = 4 * 1024 * 1024;

/**
 * Decode and parse a MANSCDP body (the XML of a MESSAGE, NOTIFY or SUBSCRIBE). Total. An
 * unknown CmdType still parses: the caller decides whether to answer it.
 */
export function parseManscdp(
  body: Buffer,
  preferredCharset?: string | null,
  limits?: Partial<XmlLimits>,
): ManscdpResult<ManscdpDocument> {
  if (!Buffer.isBuffer(body)) return { ok: false, error: 'body is not a Buffer' };
  if (body.length === 0) return { ok: false, error: 'empty body' };
  if (body.length > MAX_MANSCDP_BYTES) return { ok: false, error: `body of ${body.length} bytes is too large` };
  const decoded = decodeXmlBody(body, preferredCharset);
  const parsed = parseXml(decoded.text, limits);
  if (!parsed.ok) return { ok: false, error: `invalid XML: ${parsed.error}` };
  const element = parsed.root;
  const root = ROOTS.find((r) => r.toLowerCase() === element.name.toLowerCase());
  if (root === undefined) return { ok: false, error: `unknown MANSCDP root element <${element.name}>` };
  const cmd = childText(element, 'CmdType');
  if (cmd === null) return { ok: false, error: `<${element.name}> has no CmdType` };
  return {
    ok: true,
    value: {
      root,
      cmdType: CMD_BY_LOWER.get(cmd.toLowerCase()) ?? cmd,
      sn: readNonNegativeInteger(childText(element, 'SN')),
      deviceId: childText(element, 'DeviceID'),
      charset: decoded.charset,
      element,
    },
  };
}

/** True when a document is the command a reader expects (CmdType compared case-insensitively). */
export function isCommand(doc: ManscdpDocument, cmdType: string, roots: readonly ManscdpRoot[]): boolean {
  return doc.cmdType.toLowerCase() === cmdType.toLowerCase() && roots.includes(doc.root);
}
