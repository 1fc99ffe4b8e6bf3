import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { doorEventFromAlarm } from '../../../src/operations/doors/alarm-mapping';
import { parseManscdp, type ManscdpDocument } from '../../../src/sip/manscdp';
import { mutate, randomBytes, randomInt, seededRandom } from '../../helpers/random';

const HOST = '34020000001240000001';
const CHANNEL = '34020000001420000001';
const RECEIVED = Date.UTC(2026, 10, 26, 12, 0, 0);

function alarm(fields: string, deviceId = HOST, charset = 'GB2312'): Buffer {
  const text = `<?xml version="1.0" encoding="${charset}"?>\r\n<Notify>\r\n<CmdType>Alarm</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n<AlarmPriority>4</AlarmPriority>\r\n${fields}</Notify>\r\n`;
  return charset === 'UTF-8' ? Buffer.from(text) : iconv.encode(text, charset);
}

function doc(body: Buffer): ManscdpDocument {
  const parsed = parseManscdp(body);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}

const map = (fields: string, deviceId = HOST) => doorEventFromAlarm(HOST, doc(alarm(fields, deviceId)), 'Asia/Shanghai', RECEIVED);

describe('door events from GB28181 alarms', () => {
  test('key=value pairs in AlarmDescription give every field; AlarmTime is read in the platform zone', () => {
    const e = map('<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<AlarmDescription>event=unlock;method=card;direction=in;card=6217001234567890;person=P-7;name=张三;eventId=H-991</AlarmDescription>\r\n');
    assert.deepEqual(e, {
      eventId: 'H-991',
      source: 'sip',
      deviceId: HOST,
      doorId: null,
      time: Date.UTC(2026, 10, 26, 0, 30, 5),
      kind: 'unlock',
      method: 'card',
      direction: 'in',
      cardNumber: '6217001234567890',
      personId: 'P-7',
      personName: '张三',
      photo: null,
      description: 'event=unlock;method=card;direction=in;card=6217001234567890;person=P-7;name=张三;eventId=H-991',
    });
  });

  test('Chinese descriptions are understood as door hosts write them', () => {
    const cases: Array<[string, string, string | null, string | null]> = [
      ['刷卡开门 进门', 'unlock', 'card', 'in'],
      ['人脸识别开门失败', 'unlock-failed', 'face', null],
      ['门被打开', 'door-opened', null, null],
      ['远程开门', 'unlock', 'remote', null],
      ['密码开锁 出门', 'unlock', 'password', 'out'],
      ['可视对讲开门', 'unlock', 'call', null],
      ['APP开门', 'unlock', 'app', null],
    ];
    for (const [text, kind, method, direction] of cases) {
      const e = map(`<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<AlarmDescription>${text}</AlarmDescription>\r\n`);
      assert.ok(e, text);
      assert.deepEqual([e.kind, e.method, e.direction], [kind, method, direction], text);
    }
  });

  test('ExtraInfo pairs (2022) count, the body DeviceID names the door channel, and the key is derived when none is sent', () => {
    const e = map(
      '<AlarmMethod>7</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<ExtraInfo>verifyMode=face</ExtraInfo>\r\n<ExtraInfo>employeeNo=E-5</ExtraInfo>\r\n',
      CHANNEL,
    );
    assert.ok(e);
    assert.equal(e.method, 'face');
    assert.equal(e.kind, 'unlock');
    assert.equal(e.personId, 'E-5');
    assert.equal(e.doorId, CHANNEL);
    assert.equal(e.eventId, `sip:${HOST}:17:2026-11-26T08:30:05`);
  });

  test('video and device-fault alarms, and alarms without door words, are not door events', () => {
    assert.equal(map('<AlarmMethod>5</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<AlarmDescription>刷卡开门</AlarmDescription>\r\n'), null);
    assert.equal(map('<AlarmMethod>6</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n'), null);
    assert.equal(map('<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<AlarmDescription>设备防拆报警</AlarmDescription>\r\n'), null);
  });

  test('an unreadable AlarmTime falls back to the receive time', () => {
    const e = map('<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>null</AlarmTime>\r\n<AlarmDescription>method=card</AlarmDescription>\r\n');
    assert.equal(e?.time, RECEIVED);
  });

  test('random and mutated alarm bodies never throw and give a door event or null', () => {
    const rand = seededRandom(0x0d00);
    const seed = alarm('<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>2026-11-26T08:30:05</AlarmTime>\r\n<AlarmDescription>event=unlock;method=card;card=1;person=2;name=王;eventId=x</AlarmDescription>\r\n<ExtraInfo>direction=out</ExtraInfo>\r\n');
    let events = 0;
    for (let i = 0; i < 3000; i++) {
      const body = i % 3 === 0 ? randomBytes(rand, randomInt(rand, 0, 300)) : mutate(rand, i % 3 === 1 ? seed : seed.subarray(0, randomInt(rand, 0, seed.length)));
      const parsed = parseManscdp(body);
      if (!parsed.ok) continue;
      const e = doorEventFromAlarm(HOST, parsed.value, 'Asia/Shanghai', RECEIVED);
      if (e === null) continue;
      events += 1;
      assert.equal(typeof e.eventId, 'string');
      assert.ok(Number.isFinite(e.time));
      assert.ok(['unlock', 'door-opened', 'unlock-failed'].includes(e.kind));
    }
    assert.ok(events > 20, `only ${events} mutated alarms still read as door events`);
  });
});
