import { childrenNamed, childText, elementText, readGbDateTime, type ManscdpDocument } from '../../sip/manscdp';
import type { DoorDirection, DoorEventInput, DoorEventKind, DoorUnlockMethod } from './types';

/*
 * GB/T 28181-2022 names door-entry data types (A.4, table A.12: doorEventType, doorOpenType,
 * verifyModeType, credentialType...) but gives them no schema in the Alarm notify (A.2.5.3),
 * whose AlarmType codes cover video and device faults only. Door hosts therefore describe the
 * event in text. The mapping (README "Door-entry records", ADR 0015):
 *  - AlarmMethod 5 (video) and 6 (device fault) are never door events; any other method may be.
 *  - AlarmDescription and every ExtraInfo (2022, repeatable) are read as `key=value` pairs
 *    (separators ; , & or newline, also full-width; `=` or `:`), keys case-insensitive:
 *    event/type, method/verifyMode, direction/inOut, card/cardNo, person/personId/employeeNo,
 *    name/personName, eventId, door/doorId.
 *  - Otherwise Chinese keywords in the text: 刷卡 card, 人脸/刷脸 face, 密码 password,
 *    APP/手机/二维码 app, 远程 remote, 呼叫/对讲 call, 指纹 fingerprint; 失败/非法/拒绝 unlock-failed,
 *    开门/开锁/解锁 unlock, 门被打开/门磁/门已开 door-opened; 进门/进入 in, 出门/离开 out.
 *  - An alarm with neither an event kind nor a method is not a door event (left to alarms).
 *  - The body's DeviceID, when it differs from the sender, is the door channel.
 *  - The idempotency key is the eventId pair, else `sip:<sender>:<SN>:<AlarmTime>`.
 */

const METHOD_WORDS: ReadonlyArray<[RegExp, DoorUnlockMethod]> = [
  [/^card$|刷卡|卡号|ic卡|id卡/i, 'card'],
  [/^face$|人脸|刷脸/i, 'face'],
  [/^password$|^pwd$|密码/i, 'password'],
  [/^(app|mobile|qr)$|app|手机|二维码/i, 'app'],
  [/^remote$|远程/i, 'remote'],
  [/^call$|呼叫|对讲|可视/i, 'call'],
  [/^fingerprint$|指纹/i, 'fingerprint'],
];
const KIND_WORDS: ReadonlyArray<[RegExp, DoorEventKind]> = [
  [/^(unlock-failed|failed|denied)$|失败|非法|拒绝|无效/i, 'unlock-failed'],
  [/^(door-opened|opened|door-open)$|门被打开|门磁|门已开|开门超时|门打开/i, 'door-opened'],
  [/^unlock$|开门|开锁|解锁/i, 'unlock'],
];
const DIRECTION_WORDS: ReadonlyArray<[RegExp, DoorDirection]> = [
  [/^(in|enter|entry|1)$|^入$|进门|进入|入门/i, 'in'],
  [/^(out|exit|leave|2)$|^出$|出门|离开/i, 'out'],
];

const KEYS: Readonly<Record<string, keyof Pairs>> = {
  event: 'event', type: 'event', eventtype: 'event', kind: 'event',
  method: 'method', verifymode: 'method', unlockmethod: 'method', mode: 'method',
  direction: 'direction', dir: 'direction', inout: 'direction',
  card: 'card', cardno: 'card', cardnumber: 'card',
  person: 'person', personid: 'person', userid: 'person', employeeno: 'person',
  name: 'name', personname: 'name', username: 'name',
  eventid: 'eventId', id: 'eventId',
  door: 'door', doorid: 'door',
};

interface Pairs {
  event?: string;
  method?: string;
  direction?: string;
  card?: string;
  person?: string;
  name?: string;
  eventId?: string;
  door?: string;
}

function readPairs(texts: string[]): Pairs {
  const pairs: Pairs = {};
  for (const text of texts) {
    for (const part of text.split(/[;,&\n；，]/)) {
      const m = /^\s*([A-Za-z]+)\s*[=:：]\s*(.*?)\s*$/.exec(part);
      if (!m) continue;
      const key = KEYS[(m[1] ?? '').toLowerCase()];
      const value = (m[2] ?? '').slice(0, 128);
      if (key !== undefined && value !== '' && pairs[key] === undefined) pairs[key] = value;
    }
  }
  return pairs;
}

function pick<T>(words: ReadonlyArray<[RegExp, T]>, ...texts: Array<string | undefined>): T | null {
  for (const text of texts) {
    if (text === undefined) continue;
    for (const [re, value] of words) if (re.test(text)) return value;
  }
  return null;
}

/** Reads a door event from a GB28181 Alarm notify sent by `senderId`; null when it is not one. Total. */
export function doorEventFromAlarm(senderId: string, doc: ManscdpDocument, timeZone: string, receivedAt: number): DoorEventInput | null {
  if (doc.root !== 'Notify' || doc.cmdType !== 'Alarm') return null;
  const alarmMethod = childText(doc.element, 'AlarmMethod')?.trim() ?? '';
  if (alarmMethod === '5' || alarmMethod === '6') return null;
  const description = childText(doc.element, 'AlarmDescription');
  const extra = childrenNamed(doc.element, 'ExtraInfo').map((e) => elementText(e) ?? '');
  const texts = [...(description !== null ? [description] : []), ...extra];
  const pairs = readPairs(texts);
  const freeText = texts.join(' ');
  const method = pick(METHOD_WORDS, pairs.method, pairs.method === undefined ? freeText : undefined);
  let kind = pick(KIND_WORDS, pairs.event, pairs.event === undefined ? freeText : undefined);
  if (kind === null && method === null) return null;
  kind ??= 'unlock';
  const alarmTimeText = childText(doc.element, 'AlarmTime');
  const time = readGbDateTime(alarmTimeText, timeZone) ?? receivedAt;
  const bodyId = doc.deviceId && doc.deviceId !== senderId ? doc.deviceId : null;
  return {
    eventId: pairs.eventId ?? `sip:${senderId}:${doc.sn ?? 0}:${alarmTimeText?.trim() ?? time}`,
    source: 'sip',
    deviceId: senderId,
    doorId: pairs.door ?? bodyId,
    time,
    kind,
    method,
    direction: pick(DIRECTION_WORDS, pairs.direction, pairs.direction === undefined ? freeText : undefined),
    cardNumber: pairs.card ?? null,
    personId: pairs.person ?? null,
    personName: pairs.name ?? null,
    photo: null,
    description: description?.slice(0, 512) ?? null,
  };
}
