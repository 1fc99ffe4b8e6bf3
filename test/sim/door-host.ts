/**
 * A door-entry host's own behaviour (a SimDevice of kind 'door'): door events raised as GB28181
 * Notify Alarm MESSAGEs (AlarmMethod 2, the event written into AlarmDescription as key=value
 * pairs or as Chinese text, the way door hosts describe it), and the remote-open command
 * answered with a DeviceControl Response (Result OK or ERROR). The open command is recognised
 * as a DeviceControl carrying either PTZCmd auxiliary switch on (byte 4 = 8C) or <DoorCmd>.
 * Independent of src/: bodies read by pattern and written as text, like firmware.
 */
import iconv from 'iconv-lite';
import type { BodyStyle, ManscdpCommand } from './bodies';
import type { SimAlarm, SimAlarmOutcome } from './subscriptions';
import type { AnswerRecord } from './types';

/** 'ok': Result OK; 'error': Result ERROR; 'silent': the MESSAGE gets its 200, then nothing. */
export type SimDoorOpenMode = 'ok' | 'error' | 'silent';

export interface SimDoorOpenRecord {
  sn: string;
  /** DeviceID of the command body (the host or a door channel). */
  targetId: string;
  command: 'aux-switch' | 'door-cmd';
  /** Switch / door number. */
  door: number;
  /** PTZCmd hex as received (aux-switch). */
  ptzCmd: string | null;
  result: 'OK' | 'ERROR' | null;
  /** The command's body bytes as received. */
  body: Buffer;
}

export interface SimDoorEvent {
  kind?: 'unlock' | 'door-opened' | 'unlock-failed';
  method?: 'card' | 'face' | 'app' | 'password' | 'call';
  direction?: 'in' | 'out';
  card?: string;
  person?: string;
  name?: string;
  /** The host's own event number (becomes the platform's idempotency key). */
  eventId?: string;
  /** Default now. */
  time?: Date | string;
  /** 'pairs' (default): `event=unlock;method=card;...`; 'chinese': e.g. `刷卡开门 进门` plus the identifier pairs. */
  style?: 'pairs' | 'chinese';
  /** DeviceID of the body (a door channel); default the host. */
  sourceId?: string;
}

export interface SimDoorHostContext {
  style: BodyStyle;
  deviceId: string;
  /** Only a door host ('door' kind) takes the open command. */
  enabled: boolean;
  send: (body: Buffer) => Promise<number>;
  raiseAlarm: (alarm: SimAlarm) => Promise<SimAlarmOutcome>;
}

const CHINESE_METHOD: Record<NonNullable<SimDoorEvent['method']>, string> = { card: '刷卡', face: '人脸', app: 'APP', password: '密码', call: '呼叫' };
const CHINESE_KIND: Record<NonNullable<SimDoorEvent['kind']>, string> = { unlock: '开门', 'door-opened': '门被打开', 'unlock-failed': '开门失败' };

function field(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(text)?.[1];
}

export class SimDoorHost {
  /** How the open command is answered; change it at any time. */
  mode: SimDoorOpenMode = 'ok';
  readonly opens: SimDoorOpenRecord[] = [];

  constructor(private readonly ctx: SimDoorHostContext) {}

  /** A DeviceControl that opens the door (aux switch on, or DoorCmd), on a door host. */
  handles(command: ManscdpCommand, body: Buffer): boolean {
    if (!this.ctx.enabled || command.root !== 'Control' || command.cmdType !== 'DeviceControl') return false;
    const text = body.toString('latin1');
    if (field(text, 'DoorCmd') !== undefined) return true;
    const ptz = field(text, 'PTZCmd');
    return ptz !== undefined && /^[0-9A-Fa-f]{16}$/.test(ptz) && ptz.slice(6, 8).toUpperCase() === '8C';
  }

  async answer(command: ManscdpCommand, body: Buffer): Promise<AnswerRecord> {
    const text = body.toString('latin1');
    const ptz = field(text, 'PTZCmd') ?? null;
    const record: SimDoorOpenRecord = {
      sn: command.sn,
      targetId: command.deviceId,
      command: ptz !== null ? 'aux-switch' : 'door-cmd',
      door: ptz !== null ? parseInt(ptz.slice(8, 10), 16) : Number(field(text, 'DoorNo') ?? '1'),
      ptzCmd: ptz,
      result: this.mode === 'silent' ? null : this.mode === 'ok' ? 'OK' : 'ERROR',
      body: Buffer.from(body),
    };
    this.opens.push(record);
    const statuses: number[] = [];
    if (record.result !== null) {
      const lines = ['<Response>', '<CmdType>DeviceControl</CmdType>', `<SN>${command.sn}</SN>`, `<DeviceID>${command.deviceId || this.ctx.deviceId}</DeviceID>`, `<Result>${record.result}</Result>`, '</Response>'];
      statuses.push(await this.ctx.send(this.document(lines)));
    }
    return { cmdType: 'DeviceControl', sn: command.sn, statuses };
  }

  /** Raises a door event as Notify Alarm (AlarmMethod 2, priority 4); resolves with the platform's answer. */
  raiseDoorEvent(event: SimDoorEvent = {}): Promise<SimAlarmOutcome> {
    const kind = event.kind ?? 'unlock';
    const ids: string[] = [];
    if (event.card !== undefined) ids.push(`card=${event.card}`);
    if (event.person !== undefined) ids.push(`person=${event.person}`);
    if (event.name !== undefined) ids.push(`name=${event.name}`);
    if (event.eventId !== undefined) ids.push(`eventId=${event.eventId}`);
    let description: string;
    if (event.style === 'chinese') {
      const words = [`${event.method ? CHINESE_METHOD[event.method] : ''}${CHINESE_KIND[kind]}`];
      if (event.direction) words.push(event.direction === 'in' ? '进门' : '出门');
      description = [words.join(' '), ...ids].join(';');
    } else {
      const pairs = [`event=${kind}`];
      if (event.method) pairs.push(`method=${event.method}`);
      if (event.direction) pairs.push(`direction=${event.direction}`);
      description = [...pairs, ...ids].join(';');
    }
    return this.ctx.raiseAlarm({
      priority: 4,
      method: 2,
      description,
      ...(event.time !== undefined ? { time: event.time } : {}),
      ...(event.sourceId !== undefined ? { sourceId: event.sourceId } : {}),
    });
  }

  private document(lines: string[]): Buffer {
    const { style } = this.ctx;
    const text = [`<?xml version="1.0" encoding="${style.declaredCharset}"?>`, ...lines].join(style.eol) + style.eol;
    return style.charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, style.charset);
  }
}
