/**
 * The device side of GB/T 28181 subscriptions (9.11, Annex N) and of alarm and position
 * notifications, for SimDevice:
 *
 * - SUBSCRIBE with a MANSCDP Query body (Alarm, Catalog, MobilePosition): 200 OK with a To tag,
 *   Contact and the granted Expires (capped by `maxExpiresSec`); a refresh in the dialog (To tag)
 *   renews it, Expires: 0 ends it; an unknown dialog gets 481; kinds listed in `refuse` get 400.
 * - NOTIFYs inside those dialogs (Event and Subscription-State as sent in the SUBSCRIBE), or outside
 *   any dialog (`via: 'notify-outside'`), or as MESSAGE (`via: 'message'`).
 * - raiseAlarm: Notify Alarm as a MESSAGE (9.4), then waits for the platform's Response Alarm.
 *
 * Bodies are text templates, independent of src/sip/manscdp.
 */
import { EventEmitter } from 'node:events';
import iconv from 'iconv-lite';
import type { BodyStyle } from './bodies';
import { readCommand } from './bodies';
import { newCallId, newNumericToken, writeResponse, type Eol } from './sip';
import type { TransactionResult } from './transactions';
import type { SipRequest } from '../../src/sip/message/types';

export interface SimSubscriptionHost {
  deviceId: string;
  channelIds: readonly string[];
  server: { id: string; domain: string };
  style: BodyStyle;
  eol: Eol;
  userAgent: string;
  contact(): { host: string; port: number };
  sendMessage(body: Buffer): Promise<TransactionResult>;
  runTransaction(method: string, uri: string, headersFor: (via: string, cseq: number) => Array<[string, string]>, body?: Buffer): Promise<TransactionResult>;
}

/** One subscription the platform holds on this device. */
export interface SimSubscription {
  callId: string;
  /** CmdType of the SUBSCRIBE body: Alarm, Catalog, MobilePosition. */
  kind: string;
  /** Event header as the platform sent it. */
  event: string;
  expiresSec: number;
  expiresAt: number;
  /** Our tag (To of the 200, From of our NOTIFYs). */
  localTag: string;
  /** The platform's From (with its tag): the To of our NOTIFYs. */
  remote: string;
  remoteTarget: string;
  /** SN of the last SUBSCRIBE body; Interval of a MobilePosition one. */
  sn: string;
  intervalSec: number | null;
  refreshes: number;
  notifies: number[];
  /** Every SUBSCRIBE body of this dialog, in order. */
  bodies: string[];
}

export interface SimAlarm {
  /** DeviceID of the body (default: the device). */
  sourceId?: string;
  priority?: number | string;
  method?: number | string;
  /** Info/AlarmType (2022); with `typeAtTop` written at the top level as some 2016 devices do. */
  type?: number | string;
  typeAtTop?: boolean;
  eventType?: number;
  /** A Date (written in the GB local form, Asia/Shanghai) or the exact text to send. Default now. */
  time?: Date | string;
  description?: string;
  longitude?: number | string;
  latitude?: number | string;
  /** How it goes: MESSAGE (default), NOTIFY in the alarm subscriptions, or a NOTIFY outside any dialog. */
  via?: 'message' | 'notify' | 'notify-outside';
  /** How long raiseAlarm waits for the Response Alarm (default 3000 ms). */
  responseTimeoutMs?: number;
  /** Replaces the body (malformed-input tests). */
  rawBody?: Buffer;
}

export interface SimAlarmOutcome {
  /** SIP status of the MESSAGE/NOTIFY (statuses of every NOTIFY with via 'notify'). */
  status: number;
  statuses: number[];
  sn: number;
  /** The platform's Response Alarm, null when none came in time. */
  response: { sn: string; deviceId: string; result: string | undefined } | null;
}

export interface SimCatalogChange {
  channelId: string;
  event: 'ADD' | 'UPDATE' | 'DEL' | 'ON' | 'OFF' | 'VLOST' | 'DEFECT' | (string & {});
  name?: string;
  status?: 'ON' | 'OFF';
  parentId?: string;
}

export interface SimPosition {
  /** The mobile device (default: this device). */
  deviceId?: string;
  time?: Date;
  longitude: number;
  latitude: number;
  speed?: number;
  direction?: number;
  altitude?: number;
}

export interface SimSubscriptionEvents {
  subscribe: [sub: SimSubscription];
  refresh: [sub: SimSubscription];
  unsubscribe: [sub: SimSubscription];
}

type Via = 'message' | 'notify' | 'notify-outside';

const CONTENT_TYPE = 'Application/MANSCDP+xml';

function xmlText(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "YYYY-MM-DDTHH:mm:ss" in Asia/Shanghai (UTC+8, no DST), as devices write AlarmTime. */
export function gbLocalTime(date: Date): string {
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`, 'i').exec(text)?.[1];
}

export class SimSubscriptions extends EventEmitter<SimSubscriptionEvents> {
  readonly dialogs = new Map<string, SimSubscription>();
  /** Kinds (CmdTypes) answered 400 instead of 200. */
  readonly refuse = new Set<string>();
  /** Caps the Expires granted (to make the platform refresh early). */
  maxExpiresSec: number | undefined;
  /** Holds every answer to a SUBSCRIBE this long (a slow device: the platform's request stays in flight). */
  answerDelayMs = 0;
  /** Every Response Alarm the platform sent. */
  readonly alarmResponses: Array<{ sn: string; deviceId: string; result: string | undefined }> = [];
  private sn = 5000;
  private readonly waiters = new Map<string, (r: { sn: string; deviceId: string; result: string | undefined }) => void>();
  private stopped = false;

  constructor(private readonly host: SimSubscriptionHost) {
    super();
  }

  list(kind?: string): SimSubscription[] {
    return [...this.dialogs.values()].filter((s) => kind === undefined || s.kind.toLowerCase() === kind.toLowerCase());
  }

  /** Answers a SUBSCRIBE; returns the response bytes. */
  onSubscribe(message: SipRequest): Buffer {
    const { host } = this;
    const callId = message.headers.get('call-id') ?? '';
    const toHasTag = /;\s*tag=/i.test(message.headers.get('to') ?? '');
    const expiresHeader = Number.parseInt(message.headers.get('expires') ?? '', 10);
    const asked = Number.isFinite(expiresHeader) && expiresHeader >= 0 ? expiresHeader : 3600;
    const body = message.body.toString('latin1');
    const extra = (sub: SimSubscription | null, expires: number): Array<[string, string]> => [
      ['Expires', String(expires)],
      ['Contact', `<sip:${host.deviceId}@${host.contact().host}:${host.contact().port}>`],
      ['User-Agent', host.userAgent],
      ...(sub ? ([['Event', sub.event]] as Array<[string, string]>) : []),
    ];
    if (toHasTag) {
      const sub = this.dialogs.get(callId);
      if (!sub) return writeResponse(message, 481, 'Call/Transaction Does Not Exist', null, [['User-Agent', host.userAgent]], host.eol);
      if (asked === 0) {
        this.dialogs.delete(callId);
        this.emit('unsubscribe', sub);
        return writeResponse(message, 200, 'OK', null, extra(sub, 0), host.eol);
      }
      const granted = this.grant(asked);
      sub.expiresSec = granted;
      sub.expiresAt = Date.now() + granted * 1000;
      sub.refreshes++;
      if (body.length > 0) sub.bodies.push(body);
      this.emit('refresh', sub);
      return writeResponse(message, 200, 'OK', null, extra(sub, granted), host.eol);
    }
    const command = readCommand(message.body);
    if (!command || command.root !== 'Query' || this.refuse.has(command.cmdType)) {
      return writeResponse(message, 400, 'Bad Request', newNumericToken(), [['User-Agent', host.userAgent]], host.eol);
    }
    const granted = this.grant(asked);
    const interval = field(body, 'Interval');
    const contact = /<([^>]+)>/.exec(message.headers.get('contact') ?? '')?.[1];
    const sub: SimSubscription = {
      callId,
      kind: command.cmdType,
      event: message.headers.get('event') ?? 'presence',
      expiresSec: granted,
      expiresAt: Date.now() + granted * 1000,
      localTag: newNumericToken(),
      remote: message.headers.get('from') ?? '',
      remoteTarget: contact ?? message.uri,
      sn: command.sn,
      intervalSec: interval !== undefined && /^\d+$/.test(interval) ? Number(interval) : null,
      refreshes: 0,
      notifies: [],
      bodies: [body],
    };
    if (asked > 0) {
      this.dialogs.set(callId, sub);
      queueMicrotask(() => this.emit('subscribe', sub));
    }
    return writeResponse(message, 200, 'OK', sub.localTag, extra(sub, granted), host.eol);
  }

  /** Takes the platform's Response Alarm MESSAGE (true), anything else is not ours (false). */
  onMessage(message: SipRequest): boolean {
    const command = readCommand(message.body);
    if (!command || command.root !== 'Response' || command.cmdType !== 'Alarm') return false;
    const answer = { sn: command.sn, deviceId: command.deviceId, result: field(message.body.toString('latin1'), 'Result') };
    this.alarmResponses.push(answer);
    const waiter = this.waiters.get(command.sn);
    if (waiter) {
      this.waiters.delete(command.sn);
      waiter(answer);
    }
    return true;
  }

  /** Sends an alarm; by MESSAGE it waits for the platform's Response Alarm (A.2.6.3). */
  async raiseAlarm(alarm: SimAlarm = {}): Promise<SimAlarmOutcome> {
    const sn = this.nextSn();
    const body = alarm.rawBody ?? this.alarmBody(alarm, sn);
    const via = alarm.via ?? 'message';
    let response: Promise<SimAlarmOutcome['response']> = Promise.resolve(null);
    if (via === 'message') {
      const key = String(sn);
      response = new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.waiters.delete(key);
          resolve(null);
        }, alarm.responseTimeoutMs ?? 3000);
        this.waiters.set(key, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    }
    const statuses = await this.deliver('Alarm', body, via);
    if (via === 'message' && (statuses[0] ?? 0) !== 200) this.waiters.get(String(sn))?.({ sn: '', deviceId: '', result: undefined });
    const answered = await response;
    return { status: statuses[0] ?? 0, statuses, sn, response: answered !== null && answered.sn !== '' ? answered : null };
  }

  /** Catalog change events (Annex N.4.3.2); default in the catalog subscriptions. Resolves with the statuses. */
  notifyCatalog(changes: SimCatalogChange[], via: Via = 'notify'): Promise<number[]> {
    const { host } = this;
    const lines = ['<Notify>', '<CmdType>Catalog</CmdType>', `<SN>${this.nextSn()}</SN>`, `<DeviceID>${host.deviceId}</DeviceID>`, `<SumNum>${changes.length}</SumNum>`, `<DeviceList Num="${changes.length}">`];
    for (const c of changes) {
      lines.push('<Item>', `<DeviceID>${c.channelId}</DeviceID>`, `<Event>${c.event}</Event>`);
      if (c.event === 'ADD' || c.event === 'UPDATE') {
        if (c.name !== undefined) lines.push(`<Name>${xmlText(c.name)}</Name>`);
        if (c.event === 'ADD') lines.push('<Manufacturer>gbvms-sim</Manufacturer>', '<Model>SIM-CAM</Model>', `<CivilCode>${host.deviceId.slice(0, 6)}</CivilCode>`, '<Parental>0</Parental>', '<RegisterWay>1</RegisterWay>', '<Secrecy>0</Secrecy>');
        lines.push(`<ParentID>${c.parentId ?? host.deviceId}</ParentID>`);
        if (c.status !== undefined || c.event === 'ADD') lines.push(`<Status>${c.status ?? 'ON'}</Status>`);
      }
      lines.push('</Item>');
    }
    lines.push('</DeviceList>', '</Notify>');
    return this.deliver('Catalog', this.document(lines), via);
  }

  /** Positions (A.2.5.6): the 2022 list form, or the 2016 single form (first position only). Default in the MobilePosition subscriptions. */
  sendPositions(positions: SimPosition[], options: { via?: Via; form?: '2022' | '2016' } = {}): Promise<number[]> {
    const { host } = this;
    const now = new Date();
    const sn = this.nextSn();
    const coords = (p: SimPosition): string[] => [
      `<Longitude>${p.longitude}</Longitude>`,
      `<Latitude>${p.latitude}</Latitude>`,
      ...(p.speed !== undefined ? [`<Speed>${p.speed}</Speed>`] : []),
      ...(p.direction !== undefined ? [`<Direction>${p.direction}</Direction>`] : []),
      ...(p.altitude !== undefined ? [`<Altitude>${p.altitude}</Altitude>`] : []),
    ];
    let lines: string[];
    if (options.form === '2016') {
      const p = positions[0] ?? { longitude: 0, latitude: 0 };
      lines = ['<Notify>', '<CmdType>MobilePosition</CmdType>', `<SN>${sn}</SN>`, `<DeviceID>${p.deviceId ?? host.deviceId}</DeviceID>`, `<Time>${gbLocalTime(p.time ?? now)}</Time>`, ...coords(p), '</Notify>'];
    } else {
      lines = ['<Notify>', '<CmdType>MobilePosition</CmdType>', `<SN>${sn}</SN>`, `<DeviceID>${host.deviceId}</DeviceID>`, `<Time>${gbLocalTime(now)}</Time>`, `<SumNum>${positions.length}</SumNum>`, `<DeviceList Num="${positions.length}">`];
      for (const p of positions) lines.push('<Item>', `<DeviceID>${p.deviceId ?? host.deviceId}</DeviceID>`, `<CaptureTime>${gbLocalTime(p.time ?? now)}</CaptureTime>`, ...coords(p), '</Item>');
      lines.push('</DeviceList>', '</Notify>');
    }
    return this.deliver('MobilePosition', this.document(lines), options.via ?? 'notify');
  }

  /** Ends the subscriptions of `kind` from the device side (NOTIFY Subscription-State: terminated). */
  async terminate(kind: string): Promise<number[]> {
    const subs = this.list(kind);
    for (const s of subs) this.dialogs.delete(s.callId);
    return Promise.all(subs.map((s) => this.notifyIn(s, undefined, 'terminated;reason=noresource')));
  }

  stop(): void {
    this.stopped = true;
    this.dialogs.clear();
    for (const waiter of this.waiters.values()) waiter({ sn: '', deviceId: '', result: undefined });
    this.waiters.clear();
  }

  private grant(asked: number): number {
    return this.maxExpiresSec !== undefined ? Math.min(asked, this.maxExpiresSec) : asked;
  }

  private nextSn(): number {
    return ++this.sn;
  }

  private document(lines: string[]): Buffer {
    const { style } = this.host;
    const text = [`<?xml version="1.0" encoding="${style.declaredCharset}"?>`, ...lines].join(style.eol) + style.eol;
    return style.charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, style.charset);
  }

  private alarmBody(a: SimAlarm, sn: number): Buffer {
    const time = typeof a.time === 'string' ? a.time : gbLocalTime(a.time ?? new Date());
    const lines = [
      '<Notify>',
      '<CmdType>Alarm</CmdType>',
      `<SN>${sn}</SN>`,
      `<DeviceID>${a.sourceId ?? this.host.deviceId}</DeviceID>`,
      `<AlarmPriority>${a.priority ?? 1}</AlarmPriority>`,
      `<AlarmMethod>${a.method ?? 5}</AlarmMethod>`,
      `<AlarmTime>${time}</AlarmTime>`,
    ];
    if (a.description !== undefined) lines.push(`<AlarmDescription>${xmlText(a.description)}</AlarmDescription>`);
    if (a.longitude !== undefined) lines.push(`<Longitude>${a.longitude}</Longitude>`);
    if (a.latitude !== undefined) lines.push(`<Latitude>${a.latitude}</Latitude>`);
    if (a.type !== undefined && a.typeAtTop) lines.push(`<AlarmType>${a.type}</AlarmType>`);
    if (a.type !== undefined && !a.typeAtTop) {
      lines.push('<Info>', `<AlarmType>${a.type}</AlarmType>`);
      if (a.eventType !== undefined) lines.push('<AlarmTypeParam>', `<EventType>${a.eventType}</EventType>`, '</AlarmTypeParam>');
      lines.push('</Info>');
    }
    lines.push('</Notify>');
    return this.document(lines);
  }

  private async deliver(kind: string, body: Buffer, via: Via): Promise<number[]> {
    if (this.stopped) return [0];
    if (via === 'message') return [(await this.host.sendMessage(body)).status];
    if (via === 'notify-outside') return [await this.notifyOutside(kind, body)];
    const subs = this.list(kind);
    return Promise.all(subs.map((s) => this.notifyIn(s, body)));
  }

  private async notifyIn(sub: SimSubscription, body: Buffer | undefined, state?: string): Promise<number> {
    const { host } = this;
    const contact = host.contact();
    const remaining = Math.max(0, Math.round((sub.expiresAt - Date.now()) / 1000));
    const result = await host.runTransaction(
      'NOTIFY',
      sub.remoteTarget,
      (via, cseq) => [
        ['Via', via],
        ['From', `<sip:${host.deviceId}@${host.server.domain}>;tag=${sub.localTag}`],
        ['To', sub.remote],
        ['Call-ID', sub.callId],
        ['CSeq', `${cseq} NOTIFY`],
        ['Max-Forwards', '70'],
        ['Contact', `<sip:${host.deviceId}@${contact.host}:${contact.port}>`],
        ['Event', sub.event],
        ['Subscription-State', state ?? `active;expires=${remaining}`],
        ['User-Agent', host.userAgent],
        ...(body ? ([['Content-Type', CONTENT_TYPE]] as Array<[string, string]>) : []),
      ],
      body,
    );
    sub.notifies.push(result.status);
    return result.status;
  }

  private async notifyOutside(kind: string, body: Buffer): Promise<number> {
    const { host } = this;
    const contact = host.contact();
    const result = await host.runTransaction(
      'NOTIFY',
      `sip:${host.server.id}@${host.server.domain}`,
      (via, cseq) => [
        ['Via', via],
        ['From', `<sip:${host.deviceId}@${host.server.domain}>;tag=${newNumericToken()}`],
        ['To', `<sip:${host.server.id}@${host.server.domain}>`],
        ['Call-ID', newCallId(contact.host)],
        ['CSeq', `${cseq} NOTIFY`],
        ['Max-Forwards', '70'],
        ['Event', kind === 'Catalog' ? 'Catalog' : 'presence'],
        ['Subscription-State', 'active'],
        ['User-Agent', host.userAgent],
        ['Content-Type', CONTENT_TYPE],
      ],
      body,
    );
    return result.status;
  }
}
