import type { GbVersion } from '../../storage/types';
import type { ManscdpDocument } from './document';
import { child, childrenNamed, type XmlElement } from './xml';

/**
 * GB/T 28181-2022 Annex I (normative): REGISTER requests and their responses, successful or
 * not, carry `X-GB-Ver: m.n` — 1.0 = 2011, 1.1 = 2011 amendment, 2.0 = 2016, 3.0 = 2022. The
 * side with the higher version should not send the other messages it cannot understand.
 * 2011-era devices (1.x) map to 'unknown': our version type only names 2016 and 2022.
 */
export function gbVersionFromHeader(value: string | undefined): GbVersion {
  if (value === undefined) return 'unknown';
  const m = /^\s*v?(\d{1,3})(?:\.(\d{1,3}))?\s*$/i.exec(value);
  if (m === null) return 'unknown';
  const major = Number(m[1]);
  if (major >= 3) return '2022';
  if (major === 2) return '2016';
  return 'unknown';
}

/** CmdTypes introduced by the 2022 edition (A.2.4.10-14, A.2.5.7-9, A.2.6.12-16). */
const CMD_TYPES_2022 = new Set(
  [
    'HomePositionQuery',
    'CruiseTrackListQuery',
    'CruiseTrackQuery',
    'PTZPosition',
    'SDCardStatus',
    'UploadSnapShotFinished',
    'VideoUploadNotify',
    'DeviceUpgradeResult',
  ].map((c) => c.toLowerCase()),
);

/** Catalog item fields only the 2022 itemType (A.2.1.9) has. */
const ITEM_FIELDS_2022 = ['SecurityLevelCode'];
const INFO_FIELDS_2022 = [
  'PhotoelectricImagingType',
  'CapturePositionType',
  'StreamNumberList',
  'SSVCRatioSupportList',
  'MobileDeviceType',
  'HorizontalFieldAngle',
  'VerticalFieldAngle',
  'MaxViewDistance',
  'GrassrootsCode',
];
/** Catalog item fields of the 2016 itemType that the 2022 edition dropped. */
const ITEM_FIELDS_2016 = ['Owner', 'SafetyWay', 'CertNum', 'Certifiable', 'ErrCode', 'EndTime'];

function hasAny(el: XmlElement | null, names: readonly string[]): boolean {
  return el !== null && names.some((n) => child(el, n) !== null);
}

function bodyHint(doc: ManscdpDocument): GbVersion {
  if (CMD_TYPES_2022.has(doc.cmdType.toLowerCase())) return '2022';
  // 2022 MobilePosition notifications carry a DeviceList; 2016 ones a single position.
  if (doc.cmdType === 'MobilePosition' && doc.root === 'Notify' && child(doc.element, 'DeviceList') !== null) return '2022';
  if (doc.cmdType !== 'Catalog') return 'unknown';
  let saw2016 = false;
  for (const item of childrenNamed(child(doc.element, 'DeviceList'), 'Item')) {
    if (hasAny(item, ITEM_FIELDS_2022) || hasAny(child(item, 'Info'), INFO_FIELDS_2022)) return '2022';
    if (hasAny(item, ITEM_FIELDS_2016)) saw2016 = true;
  }
  return saw2016 ? '2016' : 'unknown';
}

/**
 * Best guess of a device's edition: the X-GB-Ver header of its REGISTER when present, else
 * what its MANSCDP bodies use (2022-only commands and catalog fields, or 2016-only ones).
 * A hint for choosing which commands to send, not a capability check.
 */
export function guessGbVersion(evidence: { xGbVer?: string; documents?: readonly ManscdpDocument[] }): GbVersion {
  const fromHeader = gbVersionFromHeader(evidence.xGbVer);
  if (fromHeader !== 'unknown') return fromHeader;
  let guess: GbVersion = 'unknown';
  for (const doc of evidence.documents ?? []) {
    const hint = bodyHint(doc);
    if (hint === '2022') return '2022';
    if (hint === '2016') guess = '2016';
  }
  return guess;
}
