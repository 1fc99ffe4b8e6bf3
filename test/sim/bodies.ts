/**
 * MANSCDP bodies as a device firmware writes them: text templates, then one encode to the
 * device's charset with iconv-lite. Deliberately independent of src/sip/manscdp.
 */
import iconv from 'iconv-lite';
import type { SimCharset } from './types';

export interface BodyStyle {
  charset: SimCharset;
  /** Charset written in the XML declaration (differs from `charset` for the wrong-charset quirk). */
  declaredCharset: SimCharset;
  eol: '\r\n' | '\n';
}

export interface CatalogChannel {
  id: string;
  name: string;
  parentId: string;
  civilCode: string;
  model: string;
  /** Organisation nodes as lower platforms send them: business group (215) or virtual organisation (216). */
  node?: '215' | '216';
  businessGroupId?: string;
}

export interface DeviceInfoFields {
  deviceId: string;
  deviceName: string;
  model: string;
  channels: number;
}

const MANUFACTURER = 'gbvms-sim';
const FIRMWARE = 'V1.0.0 build 20240517';

/** Escapes the five XML special characters in a text value. */
function xmlText(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function document(style: BodyStyle, lines: string[]): Buffer {
  const text = [`<?xml version="1.0" encoding="${style.declaredCharset}"?>`, ...lines].join(style.eol) + style.eol;
  return style.charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, style.charset);
}

export function keepaliveBody(style: BodyStyle, deviceId: string, sn: number): Buffer {
  return document(style, [
    '<Notify>',
    '<CmdType>Keepalive</CmdType>',
    `<SN>${sn}</SN>`,
    `<DeviceID>${deviceId}</DeviceID>`,
    '<Status>OK</Status>',
    '</Notify>',
  ]);
}

/** Notify MediaStatus, NotifyType 121: the history stream of `channelId` reached the end of its range (A.2.5.4). */
export function mediaStatusBody(style: BodyStyle, channelId: string, sn: number): Buffer {
  return document(style, [
    '<Notify>',
    '<CmdType>MediaStatus</CmdType>',
    `<SN>${sn}</SN>`,
    `<DeviceID>${channelId}</DeviceID>`,
    '<NotifyType>121</NotifyType>',
    '</Notify>',
  ]);
}

function catalogItem(ch: CatalogChannel): string[] {
  if (ch.node === '215') return ['<Item>', `<DeviceID>${ch.id}</DeviceID>`, `<Name>${xmlText(ch.name)}</Name>`, '</Item>'];
  if (ch.node === '216') {
    return [
      '<Item>',
      `<DeviceID>${ch.id}</DeviceID>`,
      `<Name>${xmlText(ch.name)}</Name>`,
      `<ParentID>${ch.parentId}</ParentID>`,
      `<BusinessGroupID>${ch.businessGroupId ?? ''}</BusinessGroupID>`,
      '</Item>',
    ];
  }
  return [
    '<Item>',
    `<DeviceID>${ch.id}</DeviceID>`,
    `<Name>${xmlText(ch.name)}</Name>`,
    `<Manufacturer>${MANUFACTURER}</Manufacturer>`,
    `<Model>${xmlText(ch.model)}</Model>`,
    '<Owner>0</Owner>',
    `<CivilCode>${ch.civilCode}</CivilCode>`,
    `<Address>${xmlText(ch.name)}</Address>`,
    '<Parental>0</Parental>',
    `<ParentID>${ch.parentId}</ParentID>`,
    '<RegisterWay>1</RegisterWay>',
    '<Secrecy>0</Secrecy>',
    '<Status>ON</Status>',
    '</Item>',
  ];
}

/** One part of a Catalog response: SumNum is the total, DeviceList Num the items in this part. */
export function catalogBody(
  style: BodyStyle,
  deviceId: string,
  sn: string,
  sumNum: number,
  items: readonly CatalogChannel[],
): Buffer {
  const lines = ['<Response>', '<CmdType>Catalog</CmdType>', `<SN>${sn}</SN>`, `<DeviceID>${deviceId}</DeviceID>`];
  lines.push(`<SumNum>${sumNum}</SumNum>`);
  if (sumNum > 0) {
    lines.push(`<DeviceList Num="${items.length}">`);
    for (const item of items) lines.push(...catalogItem(item));
    lines.push('</DeviceList>');
  }
  lines.push('</Response>');
  return document(style, lines);
}

export function deviceInfoBody(style: BodyStyle, sn: string, info: DeviceInfoFields): Buffer {
  return document(style, [
    '<Response>',
    '<CmdType>DeviceInfo</CmdType>',
    `<SN>${sn}</SN>`,
    `<DeviceID>${info.deviceId}</DeviceID>`,
    `<DeviceName>${xmlText(info.deviceName)}</DeviceName>`,
    '<Result>OK</Result>',
    `<Manufacturer>${MANUFACTURER}</Manufacturer>`,
    `<Model>${xmlText(info.model)}</Model>`,
    `<Firmware>${FIRMWARE}</Firmware>`,
    `<Channel>${info.channels}</Channel>`,
    '</Response>',
  ]);
}

/** GB/T 28181 local time without zone, as devices write it (Asia/Shanghai, UTC+8). */
export function localTimeString(now: Date): string {
  const shifted = new Date(now.getTime() + 8 * 3600_000);
  return shifted.toISOString().slice(0, 19);
}

export function deviceStatusBody(style: BodyStyle, sn: string, deviceId: string, now: Date): Buffer {
  return document(style, [
    '<Response>',
    '<CmdType>DeviceStatus</CmdType>',
    `<SN>${sn}</SN>`,
    `<DeviceID>${deviceId}</DeviceID>`,
    '<Result>OK</Result>',
    '<Online>ONLINE</Online>',
    '<Status>OK</Status>',
    `<DeviceTime>${localTimeString(now)}</DeviceTime>`,
    '<Encode>ON</Encode>',
    '<Record>OFF</Record>',
    '<Alarmstatus Num="0">',
    '</Alarmstatus>',
    '</Response>',
  ]);
}

/** One RecordInfo item as the device writes it (times already formatted); undefined fields are left out. */
export interface RecordItemFields {
  deviceId: string;
  name: string;
  filePath?: string | undefined;
  address?: string | undefined;
  startTime: string;
  endTime: string;
  secrecy: number;
  type: string;
  recorderId?: string | undefined;
  fileSize?: number | undefined;
}

function optional(name: string, value: string | number | undefined): string[] {
  return value === undefined ? [] : [`<${name}>${xmlText(String(value))}</${name}>`];
}

/** One part of a RecordInfo response: SumNum is the total, RecordList Num the items here; SumNum 0 has no list (Annex M). */
export function recordInfoBody(
  style: BodyStyle,
  sn: string,
  deviceId: string,
  name: string,
  sumNum: number,
  items: readonly RecordItemFields[],
): Buffer {
  const lines = ['<Response>', '<CmdType>RecordInfo</CmdType>', `<SN>${sn}</SN>`, `<DeviceID>${deviceId}</DeviceID>`];
  lines.push(`<Name>${xmlText(name)}</Name>`, `<SumNum>${sumNum}</SumNum>`);
  if (sumNum > 0) {
    lines.push(`<RecordList Num="${items.length}">`);
    for (const item of items) {
      lines.push(
        '<Item>',
        `<DeviceID>${item.deviceId}</DeviceID>`,
        `<Name>${xmlText(item.name)}</Name>`,
        ...optional('FilePath', item.filePath),
        ...optional('Address', item.address),
        `<StartTime>${item.startTime}</StartTime>`,
        `<EndTime>${item.endTime}</EndTime>`,
        `<Secrecy>${item.secrecy}</Secrecy>`,
        `<Type>${xmlText(item.type)}</Type>`,
        ...optional('RecorderID', item.recorderId),
        ...optional('FileSize', item.fileSize),
        '</Item>',
      );
    }
    lines.push('</RecordList>');
  }
  lines.push('</Response>');
  return document(style, lines);
}

export interface ManscdpCommand {
  /** Root element: Query, Control, Notify, Response. */
  root: string;
  cmdType: string;
  sn: string;
  deviceId: string;
}

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(text);
  return m?.[1];
}

/**
 * Reads root, CmdType, SN and DeviceID the way firmware does: by pattern, on the ASCII view of
 * the bytes (the fields are ASCII in every charset we meet). Undefined when the body is not MANSCDP.
 */
export function readCommand(body: Buffer): ManscdpCommand | undefined {
  const text = body.toString('latin1');
  const root = /<(Query|Control|Notify|Response)\b/.exec(text)?.[1];
  const cmdType = field(text, 'CmdType');
  if (root === undefined || cmdType === undefined) return undefined;
  return { root, cmdType, sn: field(text, 'SN') ?? '0', deviceId: field(text, 'DeviceID') ?? '' };
}
