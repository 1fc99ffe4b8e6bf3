/**
 * How a simulated device takes control commands (GB/T 28181 9.3) and answers PresetQuery and
 * ConfigDownload: it keeps a record of every command (with the PTZCmd bytes decoded), a preset list
 * per channel that set/delete codes change, and a BasicParam that DeviceConfig changes.
 * Independent of src/sip: bodies are read by pattern and written as text, like firmware does.
 */
import iconv from 'iconv-lite';
import type { BodyStyle, ManscdpCommand } from './bodies';
import type { AnswerRecord } from './types';

/** 'ok': Result OK; 'error': Result ERROR (and nothing changes); 'silent': the MESSAGE gets its 200, then nothing. */
export type SimControlAnswerMode = 'ok' | 'error' | 'silent';

/** The 8 bytes of a PTZCmd as the device reads them (GB/T 28181 A.3.1). */
export interface SimPtzBytes {
  hex: string;
  /** Byte 4. */
  code: number;
  data1: number;
  data2: number;
  /** High nibble of byte 7. */
  data3: number;
  address: number;
  /** Byte 1 is A5, byte 2 carries its check nibble, byte 8 is the sum of bytes 1-7 mod 256. */
  valid: boolean;
}

export interface SimControlRecord {
  /** DeviceControl, DeviceConfig, PresetQuery or ConfigDownload. */
  cmdType: string;
  sn: string;
  /** DeviceID of the body (a channel or the device). */
  targetId: string;
  /** DeviceControl: the sub-command element (PTZCmd, RecordCmd, IFameCmd, DragZoomIn, ...); DeviceConfig: BasicParam. */
  command: string | null;
  /** Text of a simple sub-command (the PTZCmd hex, "Record", "SetGuard", ...). */
  value: string | null;
  /** Children of a structured sub-command (DragZoomIn, HomePosition, PTZCmdParams, Info, BasicParam): name → text. */
  fields: Record<string, string>;
  ptz: SimPtzBytes | null;
  /** Result sent back, or null when none was (no Response defined, or the silent mode). */
  result: 'OK' | 'ERROR' | null;
}

export interface SimBasicParam {
  name: string;
  expiration: number;
  heartBeatInterval: number;
  heartBeatCount: number;
}

export interface SimControlContext {
  style: BodyStyle;
  deviceId: string;
  channelIds: readonly string[];
  deviceName: string;
  /** Sends a MESSAGE to the platform; resolves with the final status. */
  send: (body: Buffer) => Promise<number>;
}

const SUB_COMMANDS = ['PTZCmd', 'TeleBoot', 'RecordCmd', 'GuardCmd', 'AlarmCmd', 'IFameCmd', 'IFrameCmd', 'DragZoomIn', 'DragZoomOut', 'HomePosition', 'PTZPreciseCtrl', 'DeviceUpgrade', 'FormatSDCard', 'TargetTrack'];
/** 9.3.3.3 table 1: the DeviceControl commands answered with a Response carrying Result. */
const ANSWERED = new Set(['RecordCmd', 'GuardCmd', 'AlarmCmd', 'HomePosition', 'DeviceUpgrade']);
const HANDLED = new Set(['Control|DeviceControl', 'Control|DeviceConfig', 'Query|PresetQuery', 'Query|ConfigDownload']);

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The body as text, in the charset its declaration names (GB2312 when none). */
function bodyText(body: Buffer): string {
  const declared = /encoding="([^"]+)"/i.exec(body.subarray(0, 100).toString('latin1'))?.[1] ?? 'GB2312';
  return iconv.encodingExists(declared) ? iconv.decode(body, declared) : body.toString('latin1');
}

function element(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1];
}

function leaves(inner: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of inner.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) out[m[1] ?? ''] = unescapeXml((m[2] ?? '').trim());
  return out;
}

/** Reads a PTZCmd the way a camera does: hex to bytes, then the two checks of A.3.1. */
export function readSimPtz(hex: string): SimPtzBytes | null {
  if (!/^[0-9A-Fa-f]{16}$/.test(hex)) return null;
  const b = [...Buffer.from(hex, 'hex')];
  const at = (i: number) => b[i] ?? 0;
  const sum = b.slice(0, 7).reduce((s, x) => s + x, 0) % 256;
  const check = ((at(1) >> 4) + 0xa + 0x5) % 16;
  return {
    hex: hex.toUpperCase(),
    code: at(3),
    data1: at(4),
    data2: at(5),
    data3: at(6) >> 4,
    address: ((at(6) & 0x0f) << 8) | at(2),
    valid: at(0) === 0xa5 && (at(1) & 0x0f) === check && sum === at(7),
  };
}

export class SimControlAnswers {
  /** How answered commands are answered; change it at any time. */
  mode: SimControlAnswerMode = 'ok';
  /** PresetQuery answers carry at most this many items per MESSAGE (SumNum is the total). */
  presetsPerMessage = 10;
  /** Every control command and control query received, in order. */
  readonly commands: SimControlRecord[] = [];
  readonly basicParam: SimBasicParam;
  private readonly presets = new Map<string, Map<number, string>>();

  constructor(private readonly ctx: SimControlContext) {
    this.basicParam = { name: ctx.deviceName, expiration: 3600, heartBeatInterval: 60, heartBeatCount: 3 };
  }

  handles(command: ManscdpCommand): boolean {
    return HANDLED.has(`${command.root}|${command.cmdType}`);
  }

  /** The presets of a channel (or of the device), by number. */
  presetsOf(targetId: string): Array<{ id: number; name: string }> {
    return [...(this.presets.get(targetId) ?? new Map<number, string>())].sort((a, b) => a[0] - b[0]).map(([id, name]) => ({ id, name }));
  }

  setPresets(targetId: string, list: ReadonlyArray<{ id: number; name: string }>): void {
    this.presets.set(targetId, new Map(list.map((p) => [p.id, p.name])));
  }

  private isMine(targetId: string): boolean {
    return targetId === this.ctx.deviceId || this.ctx.channelIds.includes(targetId);
  }

  /** Takes a command (recorded at once, before any await) and sends its Response if it has one. */
  async answer(command: ManscdpCommand, body: Buffer): Promise<AnswerRecord | null> {
    const text = bodyText(body);
    const record: SimControlRecord = { cmdType: command.cmdType, sn: command.sn, targetId: command.deviceId, command: null, value: null, fields: {}, ptz: null, result: null };
    this.commands.push(record);
    if (command.cmdType === 'DeviceControl') return this.deviceControl(record, text);
    if (command.cmdType === 'DeviceConfig') return this.deviceConfig(record, text);
    if (command.cmdType === 'PresetQuery') return this.presetQuery(record);
    return this.configDownload(record, text);
  }

  private resultFor(record: SimControlRecord): 'OK' | 'ERROR' {
    return this.mode === 'error' || !this.isMine(record.targetId) ? 'ERROR' : 'OK';
  }

  private async respond(record: SimControlRecord, lines: string[]): Promise<AnswerRecord> {
    const status = await this.ctx.send(this.document(['<Response>', `<CmdType>${record.cmdType}</CmdType>`, `<SN>${record.sn}</SN>`, `<DeviceID>${record.targetId}</DeviceID>`, ...lines, '</Response>']));
    return { cmdType: record.cmdType, sn: record.sn, statuses: [status] };
  }

  private document(lines: string[]): Buffer {
    const { style } = this.ctx;
    const text = [`<?xml version="1.0" encoding="${style.declaredCharset}"?>`, ...lines].join(style.eol) + style.eol;
    return style.charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, style.charset);
  }

  private async deviceControl(record: SimControlRecord, text: string): Promise<AnswerRecord | null> {
    const name = SUB_COMMANDS.find((n) => element(text, n) !== undefined) ?? null;
    record.command = name;
    if (name === null) return null;
    const inner = element(text, name) ?? '';
    if (inner.includes('<')) record.fields = leaves(inner);
    else record.value = unescapeXml(inner.trim());
    const info = element(text, 'Info') ?? element(text, 'PTZCmdParams');
    if (info !== undefined) record.fields = { ...record.fields, ...leaves(info) };
    if (name === 'PTZCmd' && record.value !== null) {
      record.ptz = readSimPtz(record.value);
      if (record.ptz?.valid && this.mode !== 'error') this.applyPreset(record.targetId, record.ptz, record.fields.PresetName);
    }
    if (!ANSWERED.has(name) || this.mode === 'silent') return null;
    record.result = this.resultFor(record);
    return this.respond(record, [`<Result>${record.result}</Result>`]);
  }

  private applyPreset(targetId: string, ptz: SimPtzBytes, name: string | undefined): void {
    if (ptz.code !== 0x81 && ptz.code !== 0x83) return;
    const list = this.presets.get(targetId) ?? new Map<number, string>();
    this.presets.set(targetId, list);
    if (ptz.code === 0x81) list.set(ptz.data2, name ?? `预置点${ptz.data2}`);
    else list.delete(ptz.data2);
  }

  private async deviceConfig(record: SimControlRecord, text: string): Promise<AnswerRecord | null> {
    record.command = 'BasicParam';
    record.fields = leaves(element(text, 'BasicParam') ?? '');
    if (this.mode === 'silent') return null;
    record.result = this.resultFor(record);
    if (record.result === 'OK') {
      const f = record.fields;
      if (f.Name !== undefined) this.basicParam.name = f.Name;
      if (f.Expiration !== undefined) this.basicParam.expiration = Number(f.Expiration);
      if (f.HeartBeatInterval !== undefined) this.basicParam.heartBeatInterval = Number(f.HeartBeatInterval);
      if (f.HeartBeatCount !== undefined) this.basicParam.heartBeatCount = Number(f.HeartBeatCount);
    }
    return this.respond(record, [`<Result>${record.result}</Result>`]);
  }

  /** The list in parts of `presetsPerMessage`, every part with the query's SN and SumNum the total (Annex M). */
  private async presetQuery(record: SimControlRecord): Promise<AnswerRecord | null> {
    if (this.mode === 'silent') return null;
    if (this.mode === 'error') return this.respond(record, ['<Result>ERROR</Result>', '<SumNum>0</SumNum>', '<PresetList Num="0">', '</PresetList>']);
    const all = this.presetsOf(record.targetId);
    const per = Math.max(1, this.presetsPerMessage);
    const statuses: number[] = [];
    for (let i = 0; i === 0 || i < all.length; i += per) {
      const part = all.slice(i, i + per);
      const lines = [`<SumNum>${all.length}</SumNum>`, `<PresetList Num="${part.length}">`];
      for (const p of part) lines.push('<Item>', `<PresetID>${p.id}</PresetID>`, `<PresetName>${escapeXml(p.name)}</PresetName>`, '</Item>');
      lines.push('</PresetList>');
      const answer = await this.respond(record, lines);
      statuses.push(...answer.statuses);
      if ((answer.statuses[0] ?? 0) !== 200) break;
    }
    return { cmdType: record.cmdType, sn: record.sn, statuses };
  }

  /** One Response per asked ConfigType (A.2.4.7); types the device does not have get Result ERROR. */
  private async configDownload(record: SimControlRecord, text: string): Promise<AnswerRecord | null> {
    record.command = 'ConfigType';
    record.value = element(text, 'ConfigType')?.trim() ?? '';
    if (this.mode === 'silent') return null;
    const statuses: number[] = [];
    for (const type of record.value.split('/').filter((t) => t !== '')) {
      const content = this.mode === 'error' || !this.isMine(record.targetId) ? undefined : this.configLines(type);
      const lines = content ? ['<Result>OK</Result>', ...content] : ['<Result>ERROR</Result>'];
      statuses.push(...(await this.respond(record, lines)).statuses);
    }
    record.result = this.mode === 'error' ? 'ERROR' : 'OK';
    return { cmdType: record.cmdType, sn: record.sn, statuses };
  }

  private configLines(type: string): string[] | undefined {
    const b = this.basicParam;
    if (type === 'BasicParam') {
      return [
        '<BasicParam>',
        `<Name>${escapeXml(b.name)}</Name>`,
        `<DeviceID>${this.ctx.deviceId}</DeviceID>`,
        '<SIPServerID>34020000002000000001</SIPServerID>',
        '<SIPServerIP>127.0.0.1</SIPServerIP>',
        '<SIPServerPort>5060</SIPServerPort>',
        '<DomainName>3402000000</DomainName>',
        `<Expiration>${b.expiration}</Expiration>`,
        '<Password>12345678</Password>',
        `<HeartBeatInterval>${b.heartBeatInterval}</HeartBeatInterval>`,
        `<HeartBeatCount>${b.heartBeatCount}</HeartBeatCount>`,
        '</BasicParam>',
      ];
    }
    if (type === 'VideoParamOpt') return ['<VideoParamOpt>', '<DownloadSpeed>1/2/4</DownloadSpeed>', '<Resolution>5/6</Resolution>', '</VideoParamOpt>'];
    if (type === 'FrameMirror') return ['<FrameMirror>', '<FrameMirrorType>0</FrameMirrorType>', '</FrameMirror>'];
    return undefined;
  }
}
