import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  buildManscdp,
  buildQuery,
  encodeXmlBody,
  gbVersionFromHeader,
  guessGbVersion,
  parseManscdp,
  readDeviceInfoResponse,
  readDeviceStatusResponse,
  readKeepalive,
  type ManscdpDocument,
} from '../../../src/sip/manscdp';
import { child, childText } from '../../../src/sip/manscdp/xml';

function parse(xml: string | Buffer, preferred?: string): ManscdpDocument {
  const r = parseManscdp(typeof xml === 'string' ? Buffer.from(xml) : xml, preferred);
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

function parseError(xml: string | Buffer): string {
  const r = parseManscdp(typeof xml === 'string' ? Buffer.from(xml) : xml);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error;
}

void describe('MANSCDP documents', () => {
  void test('the root is matched case-insensitively and named canonically', () => {
    const doc = parse('<notify><CmdType>keepalive</CmdType><SN> 12 </SN><DeviceID>34020000001320000002</DeviceID></notify>');
    assert.equal(doc.root, 'Notify');
    assert.equal(doc.cmdType, 'Keepalive');
    assert.equal(doc.sn, 12);
  });

  void test('an unknown CmdType parses; the caller decides what to do with it', () => {
    const doc = parse('<Notify><CmdType>VendorThing</CmdType><SN>1</SN></Notify>');
    assert.equal(doc.cmdType, 'VendorThing');
    assert.equal(doc.deviceId, null);
  });

  void test('a missing CmdType, an unknown root, bad XML or an empty body are errors', () => {
    assert.match(parseError('<Notify><SN>1</SN></Notify>'), /no CmdType/);
    assert.match(parseError('<Notify><CmdType>null</CmdType></Notify>'), /no CmdType/);
    assert.match(parseError('<Request><CmdType>Catalog</CmdType></Request>'), /unknown MANSCDP root/);
    assert.match(parseError('<Notify><CmdType>Keepalive</CmdType>'), /invalid XML/);
    assert.match(parseError(Buffer.alloc(0)), /empty body/);
    assert.match(parseError(Buffer.alloc(5 * 1024 * 1024, 0x20)), /too large/);
    const notBuffer = parseManscdp('<a/>' as unknown as Buffer);
    assert.equal(notBuffer.ok, false);
    if (!notBuffer.ok) assert.match(notBuffer.error, /not a Buffer/);
  });

  void test('an SN that is not a number is null, not an error', () => {
    assert.equal(parse('<Notify><CmdType>Keepalive</CmdType><SN>abc</SN></Notify>').sn, null);
    assert.equal(parse('<Notify><CmdType>Keepalive</CmdType><SN>-1</SN></Notify>').sn, null);
    assert.equal(parse('<Notify><CmdType>Keepalive</CmdType></Notify>').sn, null);
  });

  void test('the per-device charset is used to decode and reported', () => {
    const body = iconv.encode('<?xml version="1.0" encoding="UTF-8"?><Response><CmdType>DeviceInfo</CmdType><DeviceName>一业丝</DeviceName></Response>', 'gbk');
    const doc = parse(body, 'GBK');
    assert.equal(doc.charset, 'GBK');
    assert.equal(readDeviceInfoResponse(doc)?.deviceName, '一业丝');
  });
});

void describe('keepalives', () => {
  void test("an NVR keepalive lists its faulty channels' IDs in Info", () => {
    const doc = parse(
      '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>43</SN>\n' +
        '<DeviceID>34020000001180000001</DeviceID>\n<Status>OK</Status>\n<Info>\n' +
        '<DeviceID>34020000001310000003</DeviceID>\n<DeviceID>34020000001310000007</DeviceID>\n' +
        '<DeviceID>34020000001310000003</DeviceID>\n<DeviceID></DeviceID>\n</Info>\n</Notify>\n',
    );
    assert.deepEqual(readKeepalive(doc), {
      deviceId: '34020000001180000001',
      sn: 43,
      status: 'OK',
      faultyChannelIds: ['34020000001310000003', '34020000001310000007'],
    });
  });

  void test('a keepalive with an empty Info and no Status reads with nulls', () => {
    const doc = parse('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000002</DeviceID><Info/></Notify>');
    assert.deepEqual(readKeepalive(doc), { deviceId: '34020000001320000002', sn: 1, status: null, faultyChannelIds: [] });
  });

  void test('a keepalive under a Response root is not read as one', () => {
    assert.equal(readKeepalive(parse('<Response><CmdType>Keepalive</CmdType></Response>')), null);
  });
});

void describe('DeviceInfo and DeviceStatus answers', () => {
  void test('a DeviceInfo answer with a bad Channel count and an ERROR result reads', () => {
    const info = readDeviceInfoResponse(
      parse('<Response><CmdType>DeviceInfo</CmdType><SN>2</SN><DeviceID>1</DeviceID><Result>error</Result><Channel> x </Channel></Response>'),
    );
    assert.deepEqual(info, {
      deviceId: '1',
      deviceName: null,
      manufacturer: null,
      model: null,
      firmware: null,
      channelCount: null,
      result: 'ERROR',
      deviceType: null,
    });
  });

  void test('DeviceStatus reads OFFLINE, a reason and an AlarmStatus spelled with a capital S', () => {
    const status = readDeviceStatusResponse(
      parse(
        '<Response><CmdType>DeviceStatus</CmdType><SN>3</SN><DeviceID>34020000001180000001</DeviceID>' +
          '<Result>OK</Result><Online>OFFLINE</Online><Status>ERROR</Status><Reason>disk</Reason>' +
          '<AlarmStatus Num="1"><Item><DeviceID>34020000001340000001</DeviceID><DutyStatus>alarm</DutyStatus></Item>' +
          '<Item><DutyStatus>ONDUTY</DutyStatus></Item></AlarmStatus></Response>',
      ),
    );
    assert.ok(status);
    assert.equal(status.online, false);
    assert.equal(status.status, 'ERROR');
    assert.equal(status.reason, 'disk');
    assert.equal(status.encode, null);
    assert.equal(status.deviceTime, null);
    assert.deepEqual(status.alarms, [{ deviceId: '34020000001340000001', status: 'ALARM' }]);
  });
});

void describe('building MANSCDP documents', () => {
  void test('a Catalog query encoded in GB2312 parses back', () => {
    const text = buildQuery('Catalog', 7, '34020000001320000002');
    const body = encodeXmlBody(text, 'GB2312');
    assert.ok(body.toString('latin1').startsWith('<?xml version="1.0" encoding="GB2312"?>\n<Query>\n'));
    assert.ok(!body.includes(0x0d));
    const doc = parse(body);
    assert.equal(doc.root, 'Query');
    assert.equal(doc.cmdType, 'Catalog');
    assert.equal(doc.sn, 7);
    assert.equal(doc.deviceId, '34020000001320000002');
    assert.equal(doc.charset, 'GB2312');
  });

  void test('a RecordInfo query keeps its extra fields in order, empty ones included', () => {
    const text = buildQuery('RecordInfo', 18, '34020000001310000001', [
      ['StartTime', '2024-05-01T00:00:00'],
      ['EndTime', '2024-05-04T15:41:00'],
      ['FilePath', ''],
      ['Type', 'all'],
    ]);
    const doc = parse(encodeXmlBody(text, 'GBK'));
    assert.deepEqual(
      doc.element.children.map((c) => c.name),
      ['CmdType', 'SN', 'DeviceID', 'StartTime', 'EndTime', 'FilePath', 'Type'],
    );
    assert.equal(childText(doc.element, 'FilePath'), null);
    assert.equal(doc.charset, 'GBK');
  });

  void test('a generic document nests elements, escapes text and survives characters outside GB2312', () => {
    const text = buildManscdp('Control', 'DeviceControl', 9, '34020000001310000001', [
      ['PTZCmd', 'A50F010800FA00B7'],
      ['Skipped', null],
      { name: 'Info', children: [{ name: 'ControlPriority', text: 5 }, { name: 'Note', text: '坣 & <x>' }] },
    ]);
    const doc = parse(encodeXmlBody(text, 'GB2312'));
    assert.equal(doc.root, 'Control');
    assert.equal(doc.cmdType, 'DeviceControl');
    assert.equal(childText(doc.element, 'PTZCmd'), 'A50F010800FA00B7');
    assert.equal(childText(child(doc.element, 'Info'), 'ControlPriority'), '5');
    assert.equal(childText(child(doc.element, 'Info'), 'Note'), '坣 & <x>');
    assert.equal(child(doc.element, 'Skipped'), null);
  });

  void test('a document without DeviceID leaves it out (Broadcast uses SourceID/TargetID)', () => {
    const doc = parse(buildManscdp('Notify', 'Broadcast', 1, null, [['SourceID', '34020000002000000001'], ['TargetID', '34020000001370000001']], { indent: '' }));
    assert.equal(doc.deviceId, null);
    assert.equal(doc.cmdType, 'Broadcast');
    assert.equal(childText(doc.element, 'TargetID'), '34020000001370000001');
  });
});

void describe('protocol version', () => {
  void test('X-GB-Ver values of Annex I map to editions', () => {
    assert.equal(gbVersionFromHeader('3.0'), '2022');
    assert.equal(gbVersionFromHeader(' 3.0 '), '2022');
    assert.equal(gbVersionFromHeader('3'), '2022');
    assert.equal(gbVersionFromHeader('2.0'), '2016');
    assert.equal(gbVersionFromHeader('1.0'), 'unknown');
    assert.equal(gbVersionFromHeader('1.1'), 'unknown');
    assert.equal(gbVersionFromHeader('abc'), 'unknown');
    assert.equal(gbVersionFromHeader(''), 'unknown');
    assert.equal(gbVersionFromHeader(undefined), 'unknown');
  });

  void test('the header wins; without it, 2022-only commands or catalog fields hint at 2022', () => {
    const sdcard = parse('<Response><CmdType>SDCardStatus</CmdType><SN>1</SN></Response>');
    const catalog2022 = parse(
      '<Response><CmdType>Catalog</CmdType><SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>34020000001310000001</DeviceID>' +
        '<Info><PTZType>1</PTZType><GrassrootsCode>000000</GrassrootsCode></Info></Item></DeviceList></Response>',
    );
    const mobile2022 = parse('<Notify><CmdType>MobilePosition</CmdType><DeviceList Num="0"/></Notify>');
    assert.equal(guessGbVersion({ documents: [sdcard] }), '2022');
    assert.equal(guessGbVersion({ documents: [catalog2022] }), '2022');
    assert.equal(guessGbVersion({ documents: [mobile2022] }), '2022');
    assert.equal(guessGbVersion({ xGbVer: '2.0', documents: [sdcard] }), '2016');
    assert.equal(guessGbVersion({}), 'unknown');
  });
});
