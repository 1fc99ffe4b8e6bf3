import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { readAlarmNotify } from '../../src/alarms/alarm-notify';
import { readDeviceTime } from '../../src/alarms/alarm-time';
import { buildAlarmResponse } from '../../src/alarms/alarm-service';
import { readMobilePositionNotify } from '../../src/alarms/position-notify';
import { parseManscdp, type ManscdpDocument } from '../../src/sip/manscdp';

const TZ = 'Asia/Shanghai';

function doc(xml: string, charset: 'utf8' | 'gb2312' = 'utf8'): ManscdpDocument {
  const parsed = parseManscdp(charset === 'utf8' ? Buffer.from(xml) : iconv.encode(xml, 'gb2312'));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}

describe('Notify Alarm', () => {
  test('a 2022 alarm reads every field: priority, method, Info/AlarmType, EventType, time, place, description', () => {
    const a = readAlarmNotify(
      doc(
        '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Alarm</CmdType>\n<SN>17</SN>\n<DeviceID>34020000001340000001</DeviceID>\n' +
          '<AlarmPriority>1</AlarmPriority>\n<AlarmMethod>5</AlarmMethod>\n<AlarmTime>2024-05-17T14:07:33</AlarmTime>\n' +
          '<AlarmDescription>周界入侵</AlarmDescription>\n<Longitude>116.397128</Longitude>\n<Latitude>39.916527</Latitude>\n' +
          '<Info>\n<AlarmType>6</AlarmType>\n<AlarmTypeParam>\n<EventType>2</EventType>\n</AlarmTypeParam>\n</Info>\n' +
          '<ExtraInfo>zone=3</ExtraInfo><ExtraInfo>  </ExtraInfo>\n</Notify>\n',
        'gb2312',
      ),
      TZ,
    );
    assert.deepEqual(a, {
      sn: 17,
      sourceId: '34020000001340000001',
      priority: 1,
      method: 5,
      type: 6,
      eventType: 2,
      time: Date.parse('2024-05-17T06:07:33Z'),
      timeText: '2024-05-17T14:07:33',
      description: '周界入侵',
      longitude: 116.397128,
      latitude: 39.916527,
      extraInfo: ['zone=3'],
    });
  });

  test('what real devices send instead is tolerated: top-level AlarmType, padded and combined values, null, 0.0, lower-case tags', () => {
    const a = readAlarmNotify(
      doc(
        '<Notify><cmdtype>alarm</cmdtype><SN> 3 </SN><DeviceID>34020000001320000001</DeviceID><alarmpriority> 2 </alarmpriority>' +
          '<AlarmMethod>2/5</AlarmMethod><AlarmType>1</AlarmType><AlarmTime>2024-5-7 8:05:09</AlarmTime><AlarmDescription>null</AlarmDescription>' +
          '<Longitude>0.0</Longitude><Latitude>0.0</Latitude><Info></Info></Notify>',
      ),
      TZ,
    );
    assert.ok(a);
    assert.equal(a.priority, 2);
    assert.equal(a.method, 2);
    assert.equal(a.type, 1);
    assert.equal(a.eventType, null);
    assert.equal(a.time, Date.parse('2024-05-07T00:05:09Z'));
    assert.equal(a.description, null);
    assert.equal(a.longitude, null, '0.0/0.0 means no position');
    assert.equal(a.latitude, null);
  });

  test('a minimal alarm (no time, no priority) still reads, with nulls', () => {
    const a = readAlarmNotify(doc('<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID></Notify>'), TZ);
    assert.ok(a);
    assert.equal(a.time, null);
    assert.equal(a.timeText, null);
    assert.equal(a.priority, null);
    assert.equal(a.method, null);
    assert.deepEqual(a.extraInfo, []);
  });

  test('other documents are not alarms', () => {
    assert.equal(readAlarmNotify(doc('<Response><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID><Result>OK</Result></Response>'), TZ), null);
    assert.equal(readAlarmNotify(doc('<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>'), TZ), null);
  });

  test('alarm times: the standard form, spaces, unpadded, fractions, zones, slashes, compact forms and epoch numbers', () => {
    const cases: Array<[string, number | null]> = [
      ['2024-05-17T14:07:33', Date.parse('2024-05-17T06:07:33Z')],
      ['2024-05-17 14:07:33', Date.parse('2024-05-17T06:07:33Z')],
      ['2024-5-7T8:5:9', Date.parse('2024-05-07T00:05:09Z')],
      ['2024-05-17T14:07:33.263', Date.parse('2024-05-17T06:07:33.263Z')],
      ['2024-05-17T14:07:33Z', Date.parse('2024-05-17T14:07:33Z')],
      ['2024-05-17T14:07:33+0800', Date.parse('2024-05-17T06:07:33Z')],
      ['2024/05/17 14:07:33', Date.parse('2024-05-17T06:07:33Z')],
      ['20240517T140733', Date.parse('2024-05-17T06:07:33Z')],
      ['20240517140733', Date.parse('2024-05-17T06:07:33Z')],
      ['1715926053', 1715926053000],
      ['1715926053263', 1715926053263],
      ['2024-02-30T00:00:00', null],
      ['2024-05-17T25:00:00', null],
      ['yesterday', null],
      ['', null],
      ['0000000000', null],
    ];
    for (const [text, expected] of cases) assert.equal(readDeviceTime(text, TZ), expected, text);
    assert.equal(readDeviceTime(null, TZ), null);
  });

  test('the Response Alarm carries the SN and DeviceID of the notification and Result OK (A.2.6.3)', () => {
    const parsed = doc(buildAlarmResponse(42, '34020000001340000001'));
    assert.equal(parsed.root, 'Response');
    assert.equal(parsed.cmdType, 'Alarm');
    assert.equal(parsed.sn, 42);
    assert.equal(parsed.deviceId, '34020000001340000001');
    assert.match(buildAlarmResponse(42, '34020000001340000001'), /<Result>OK<\/Result>/);
  });
});

describe('Notify MobilePosition', () => {
  test('the 2022 list form gives one position per item with its capture time', () => {
    const positions = readMobilePositionNotify(
      doc(
        '<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>34020000002000000009</DeviceID><Time>2024-06-01T10:00:30</Time><SumNum>3</SumNum>' +
          '<DeviceList Num="3"><Item><DeviceID>34020000001320000001</DeviceID><CaptureTime>2024-06-01T10:00:00</CaptureTime><Longitude>116.1</Longitude><Latitude>39.1</Latitude>' +
          '<Speed>40.5</Speed><Direction>359.9</Direction><Altitude>12</Altitude></Item>' +
          '<Item><DeviceID>34020000001320000002</DeviceID><Longitude>116.2</Longitude><Latitude>39.2</Latitude><Direction>360</Direction></Item>' +
          '<Item><DeviceID>34020000001320000003</DeviceID><Longitude>abc</Longitude><Latitude>39.3</Latitude></Item></DeviceList></Notify>',
      ),
      TZ,
      1,
    );
    assert.deepEqual(positions, [
      { targetId: '34020000001320000001', time: Date.parse('2024-06-01T02:00:00Z'), longitude: 116.1, latitude: 39.1, speed: 40.5, direction: 359.9, altitude: 12 },
      { targetId: '34020000001320000002', time: Date.parse('2024-06-01T02:00:30Z'), longitude: 116.2, latitude: 39.2, speed: null, direction: null, altitude: null },
    ]);
  });

  test('the 2016 single form is the document itself; no time at all falls back to the receive time', () => {
    const positions = readMobilePositionNotify(
      doc('<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>34020000001320000001</DeviceID><Longitude>-73.9</Longitude><Latitude>40.7</Latitude></Notify>'),
      TZ,
      1234,
    );
    assert.deepEqual(positions, [{ targetId: '34020000001320000001', time: 1234, longitude: -73.9, latitude: 40.7, speed: null, direction: null, altitude: null }]);
    assert.deepEqual(readMobilePositionNotify(doc('<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>1</DeviceID><Longitude>200</Longitude><Latitude>1</Latitude></Notify>'), TZ), []);
    assert.equal(readMobilePositionNotify(doc('<Query><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>1</DeviceID></Query>'), TZ), null);
  });
});
