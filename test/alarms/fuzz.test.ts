/**
 * Fuzz: the alarm and position readers and the device-time reader take whatever devices send.
 * Thousands of random, mutated and truncated bodies (fixed seeds): no throw, sane result types.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAlarmNotify } from '../../src/alarms/alarm-notify';
import { readDeviceTime } from '../../src/alarms/alarm-time';
import { readMobilePositionNotify } from '../../src/alarms/position-notify';
import { parseManscdp } from '../../src/sip/manscdp';
import { pick, randomBelow, randomBytes, seededRandom } from '../helpers/random';

const SEEDS = [
  '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Alarm</CmdType>\n<SN>17</SN>\n<DeviceID>34020000001340000001</DeviceID>\n<AlarmPriority>1</AlarmPriority>\n' +
    '<AlarmMethod>5</AlarmMethod>\n<AlarmTime>2024-05-17T14:07:33</AlarmTime>\n<AlarmDescription>intrusion</AlarmDescription>\n<Longitude>116.39</Longitude>\n<Latitude>39.91</Latitude>\n' +
    '<Info>\n<AlarmType>6</AlarmType>\n<AlarmTypeParam><EventType>1</EventType></AlarmTypeParam>\n</Info>\n<ExtraInfo>x</ExtraInfo>\n</Notify>\n',
  '<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>34020000002000000009</DeviceID><Time>2024-06-01T10:00:30</Time><SumNum>2</SumNum>' +
    '<DeviceList Num="2"><Item><DeviceID>34020000001320000001</DeviceID><CaptureTime>2024-06-01T10:00:00</CaptureTime><Longitude>116.1</Longitude><Latitude>39.1</Latitude>' +
    '<Speed>40</Speed><Direction>90</Direction><Altitude>12</Altitude></Item><Item><DeviceID>34020000001320000002</DeviceID><Longitude>116.2</Longitude><Latitude>39.2</Latitude></Item></DeviceList></Notify>',
  '<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>34020000001320000001</DeviceID><Time>2024-06-01 10:00:30</Time><Longitude>116.1</Longitude><Latitude>39.1</Latitude></Notify>',
];
const FRAGMENTS = ['<', '>', '</', '&', '&#x', ';', '"', '<Info>', '</Info>', '<Item>', '</Item>', 'null', '0.0', '-', '9999999999999999999', 'NaN', 'Infinity', '1e308', '<AlarmType>', '<DeviceList>', '\0', ' ', '\n', '2024-13-45T99:99:99', '/'];

function mutate(rand: () => number, input: string): string {
  let s = input;
  const edits = 1 + randomBelow(rand, 6);
  for (let i = 0; i < edits; i++) {
    const at = randomBelow(rand, s.length + 1);
    switch (randomBelow(rand, 4)) {
      case 0:
        s = s.slice(0, at) + pick(rand, FRAGMENTS) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + randomBelow(rand, 12));
        break;
      case 2:
        s = s.slice(0, at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(randomBelow(rand, 0x3000)) + s.slice(at + 1);
    }
  }
  return s;
}

function checkNumber(value: unknown, what: string): void {
  assert.ok(value === null || (typeof value === 'number' && Number.isFinite(value)), `${what}: ${String(value)}`);
}

function exercise(body: Buffer): void {
  const parsed = parseManscdp(body);
  if (!parsed.ok) return;
  const alarm = readAlarmNotify(parsed.value, 'Asia/Shanghai');
  if (alarm !== null) {
    for (const key of ['sn', 'priority', 'method', 'type', 'eventType', 'time', 'longitude', 'latitude'] as const) checkNumber(alarm[key], key);
    assert.ok(Array.isArray(alarm.extraInfo) && alarm.extraInfo.length <= 16);
    if (alarm.longitude !== null) assert.ok(Math.abs(alarm.longitude) <= 180);
    if (alarm.latitude !== null) assert.ok(Math.abs(alarm.latitude) <= 90);
  }
  const positions = readMobilePositionNotify(parsed.value, 'Asia/Shanghai', 1);
  if (positions !== null) {
    assert.ok(Array.isArray(positions) && positions.length <= 1000);
    for (const p of positions) {
      assert.equal(typeof p.targetId, 'string');
      for (const key of ['time', 'longitude', 'latitude', 'speed', 'direction', 'altitude'] as const) checkNumber(p[key], key);
      assert.ok(Math.abs(p.longitude) <= 180 && Math.abs(p.latitude) <= 90);
      if (p.direction !== null) assert.ok(p.direction >= 0 && p.direction < 360);
    }
  }
}

describe('alarm and position readers under fuzz', () => {
  test('4,000 mutated and truncated alarm/position bodies never throw and give sane values', () => {
    const rand = seededRandom(0x28181);
    for (let i = 0; i < 4000; i++) exercise(Buffer.from(mutate(rand, pick(rand, SEEDS))));
  });

  test('2,000 random byte strings and every truncation of the seeds never throw', () => {
    const rand = seededRandom(0xa1a2);
    for (let i = 0; i < 2000; i++) exercise(randomBytes(rand, randomBelow(rand, 400)));
    for (const seed of SEEDS) for (let n = 0; n <= seed.length; n += 3) exercise(Buffer.from(seed.slice(0, n)));
  });

  test('the device-time reader takes 5,000 random strings without throwing, giving null or a finite number', () => {
    const rand = seededRandom(0x7e11);
    const base = ['2024-05-17T14:07:33', '20240517T140733', '1715926053', '2024/5/7 8:5:9.123+08:00'];
    for (let i = 0; i < 5000; i++) {
      const text = i % 2 === 0 ? mutate(rand, pick(rand, base)) : randomBytes(rand, randomBelow(rand, 30)).toString('latin1');
      const t = readDeviceTime(text, 'Asia/Shanghai');
      assert.ok(t === null || Number.isFinite(t), text);
    }
  });
});
