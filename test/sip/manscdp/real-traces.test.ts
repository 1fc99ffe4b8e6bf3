import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseManscdp,
  readCatalogResponse,
  readDeviceInfoResponse,
  readDeviceStatusResponse,
  readKeepalive,
  guessGbVersion,
  type ManscdpDocument,
} from '../../../src/sip/manscdp';
import { childText, childrenNamed, child } from '../../../src/sip/manscdp/xml';
import { manscdpTraceBodies, traceBody } from './real-traces';

function docOf(file: string): ManscdpDocument {
  const r = parseManscdp(traceBody(file));
  if (!r.ok) assert.fail(`${file}: ${r.error}`);
  return r.value;
}

void describe('MANSCDP bodies of real devices', () => {
  void test('every MANSCDP body in the Dahua and Hikvision traces parses', () => {
    const bodies = manscdpTraceBodies();
    assert.ok(bodies.length >= 12, `found ${bodies.length} bodies`);
    for (const { file, body } of bodies) {
      const r = parseManscdp(body);
      assert.equal(r.ok, true, `${file}: ${r.ok ? '' : r.error}`);
      if (r.ok) {
        assert.ok(r.value.cmdType.length > 0, file);
        assert.ok(r.value.sn !== null, `${file} has an SN`);
        assert.match(r.value.deviceId ?? '', /^\d{20}$/, file);
      }
    }
  });

  void test('the Dahua keepalive is read', () => {
    const doc = docOf('05_dev_MESSAGE_Keepalive.sip');
    assert.equal(doc.root, 'Notify');
    assert.equal(doc.charset, 'GB2312');
    assert.deepEqual(readKeepalive(doc), {
      deviceId: '34020000001320000002',
      sn: 539,
      status: 'OK',
      faultyChannelIds: [],
    });
  });

  void test("the Dahua dome's catalog answer maps onto a channel", () => {
    const catalog = readCatalogResponse(docOf('09_dev_MESSAGE_Catalog.sip'));
    assert.ok(catalog);
    assert.equal(catalog.kind, 'response');
    assert.equal(catalog.deviceId, '34020000001320000002');
    assert.equal(catalog.sn, 7);
    assert.equal(catalog.sumNum, 1);
    assert.equal(catalog.skipped, 0);
    assert.deepEqual(catalog.items, [
      {
        channelId: '34020000001310000001',
        name: 'DH71',
        manufacturer: 'Dahua',
        model: 'DH-SD-6C3230UE-HN',
        owner: '0',
        civilCode: '340200',
        block: null,
        address: 'axy',
        parental: false,
        parentId: '34020000001320000002',
        businessGroupId: null,
        registerWay: 1,
        secrecy: 0,
        ipAddress: null,
        port: null,
        status: 'ON',
        longitude: null,
        latitude: null,
        ptzType: 3,
        typeCode: '131',
      },
    ]);
  });

  void test("the Dahua dome's DeviceInfo answer is read", () => {
    assert.deepEqual(readDeviceInfoResponse(docOf('13_dev_MESSAGE_DeviceInfo.sip')), {
      deviceId: '34020000001320000002',
      deviceName: 'DH-SD-6C3230UE-HN',
      manufacturer: 'Dahua',
      model: 'DH-SD-6C3230UE-HN',
      firmware: '2.623.0000000.17.R,2019-01-19',
      channelCount: 1,
      result: 'OK',
      deviceType: 'SD',
    });
  });

  void test("the Dahua dome's DeviceStatus answer is read, Alarmstatus with a lower-case s included", () => {
    assert.deepEqual(readDeviceStatusResponse(docOf('17_dev_MESSAGE_DeviceStatus.sip')), {
      deviceId: '34020000001320000002',
      result: 'OK',
      online: true,
      status: 'OK',
      reason: null,
      encode: true,
      record: false,
      deviceTime: '2024-05-17T14:24:54',
      alarms: [
        { deviceId: '34020000001340000001', status: 'ONDUTY' },
        { deviceId: '34020000001340000002', status: 'ONDUTY' },
      ],
    });
  });

  void test("the Hikvision NVR's RecordInfo answer parses with its lower-case gb2312 declaration", () => {
    const doc = docOf('36_dev_MESSAGE_RecordInfo.sip');
    assert.equal(doc.root, 'Response');
    assert.equal(doc.cmdType, 'RecordInfo');
    assert.equal(doc.charset, 'gb2312'.toUpperCase());
    assert.equal(doc.sn, 18);
    const items = childrenNamed(child(doc.element, 'RecordList'), 'Item');
    assert.equal(items.length, 2);
    assert.equal(childText(items[1], 'FilePath'), '1714806986_1714808977');
  });

  void test("the platform's queries in the traces parse (empty FilePath/Address included)", () => {
    const q = docOf('34_plat_MESSAGE_RecordInfo.sip');
    assert.equal(q.root, 'Query');
    assert.equal(childText(q.element, 'FilePath'), null);
    assert.equal(childText(q.element, 'Type'), 'all');
    const ptz = docOf('26_plat_MESSAGE_DeviceControl.sip');
    assert.equal(ptz.root, 'Control');
    assert.equal(childText(ptz.element, 'PTZCmd'), 'A50F000800640020');
    assert.equal(docOf('07_plat_MESSAGE_Catalog.sip').charset, 'UTF-8');
  });

  void test('a reader given another command answers null', () => {
    const keepalive = docOf('05_dev_MESSAGE_Keepalive.sip');
    assert.equal(readCatalogResponse(keepalive), null);
    assert.equal(readDeviceInfoResponse(keepalive), null);
    assert.equal(readDeviceStatusResponse(keepalive), null);
    assert.equal(readKeepalive(docOf('09_dev_MESSAGE_Catalog.sip')), null);
    // A Catalog query is not a catalog answer.
    assert.equal(readCatalogResponse(docOf('07_plat_MESSAGE_Catalog.sip')), null);
  });

  void test('the Dahua catalog (Owner, no 2022 fields) hints at GB/T 28181-2016', () => {
    assert.equal(guessGbVersion({ documents: [docOf('09_dev_MESSAGE_Catalog.sip')] }), '2016');
    assert.equal(guessGbVersion({ documents: [docOf('05_dev_MESSAGE_Keepalive.sip')] }), 'unknown');
  });
});
