import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  parseManscdp,
  readCatalogResponse,
  toChannelUpdate,
  type CatalogMessage,
} from '../../../src/sip/manscdp';
import type { ChannelUpdate } from '../../../src/storage/types';

function catalogOf(xml: string, charset = 'gb18030'): CatalogMessage {
  const parsed = parseManscdp(iconv.encode(xml, charset));
  if (!parsed.ok) assert.fail(parsed.error);
  const catalog = readCatalogResponse(parsed.value);
  assert.ok(catalog, 'a catalog');
  return catalog;
}

function response(items: string, opts: { sumNum?: string; num?: string; root?: string } = {}): string {
  const root = opts.root ?? 'Response';
  return (
    `<?xml version="1.0" encoding="GB2312"?>\n<${root}>\n<CmdType>Catalog</CmdType>\n<SN>17</SN>\n` +
    `<DeviceID>34020000001180000001</DeviceID>\n<SumNum>${opts.sumNum ?? '1'}</SumNum>\n` +
    `<DeviceList Num="${opts.num ?? '1'}">\n${items}</DeviceList>\n</${root}>\n`
  );
}

function camera(n: number): string {
  const id = `3402000000131${String(n).padStart(7, '0')}`;
  return (
    `<Item><DeviceID>${id}</DeviceID><Name>通道${n}</Name><Manufacturer>Hikvision</Manufacturer>` +
    `<Model>IPC</Model><Owner>Owner</Owner><CivilCode>3402000000</CivilCode><Address>Address</Address>` +
    `<Parental>0</Parental><ParentID>34020000001180000001</ParentID><SafetyWay>0</SafetyWay>` +
    `<RegisterWay>1</RegisterWay><Secrecy>0</Secrecy><Status>ON</Status><Longitude>117.${n}</Longitude>` +
    `<Latitude>31.${n}</Latitude></Item>\n`
  );
}

void describe('catalog answers', () => {
  void test('an NVR catalog with 256 items reads every item', () => {
    const items = Array.from({ length: 256 }, (_, i) => camera(i + 1)).join('');
    const catalog = catalogOf(response(items, { sumNum: '256', num: '256' }));
    assert.equal(catalog.sumNum, 256);
    assert.equal(catalog.items.length, 256);
    assert.equal(new Set(catalog.items.map((i) => i.channelId)).size, 256);
    const last = catalog.items[255];
    assert.equal(last?.name, '通道256');
    assert.equal(last?.longitude, 117.256);
    assert.equal(last?.latitude, 31.256);
    assert.equal(last?.typeCode, '131');
  });

  void test('business groups (215) and virtual organisations (216) with only ID, name and parents are kept', () => {
    const items =
      '<Item><DeviceID>11010100002150000001</DeviceID><Name>业务分组</Name><CivilCode>110101</CivilCode>' +
      '<ParentID>11010100002000000001</ParentID></Item>\n' +
      '<Item><DeviceID>11010100002160000002</DeviceID><Name>虚拟组织</Name><ParentID>11010100002160000001</ParentID>' +
      '<BusinessGroupID>11010100002150000001</BusinessGroupID></Item>\n' +
      '<Item><DeviceID>110101</DeviceID><Name>东城区</Name></Item>\n' +
      camera(9);
    const catalog = catalogOf(response(items, { sumNum: '4', num: '4' }));
    const [group, org, civil, cam] = catalog.items;
    assert.equal(group?.typeCode, '215');
    assert.equal(group?.parentId, '11010100002000000001');
    assert.equal(group?.parental, true);
    assert.equal(group?.status, 'UNKNOWN');
    assert.equal(group?.manufacturer, null);
    assert.equal(org?.typeCode, '216');
    assert.equal(org?.businessGroupId, '11010100002150000001');
    assert.equal(org?.parentId, '11010100002160000001');
    assert.equal(civil?.channelId, '110101');
    assert.equal(civil?.typeCode, '');
    assert.equal(civil?.parental, true);
    assert.equal(cam?.parental, false);
  });

  void test('field quirks are tolerated: null strings, empty elements, padded numbers, 0.0 positions, RTSP addresses', () => {
    const item =
      '<item><deviceid> 34020000001320000011 </deviceid><name>null</name><Manufacturer></Manufacturer>' +
      '<Model/><Parental> 1 </Parental><ParentID>null</ParentID><RegisterWay> 1 </RegisterWay>' +
      '<Secrecy>abc</Secrecy><IPAddress>rtsp://192.168.1.64:554/Streaming/Channels/101</IPAddress>' +
      '<Port> 8000 </Port><Status>ONLINE</Status><Longitude>0.0</Longitude><Latitude>0.0</Latitude>' +
      '<PTZType>2</PTZType><Info></Info></item>\n';
    const [it] = catalogOf(response(item)).items;
    assert.ok(it);
    assert.equal(it.channelId, '34020000001320000011');
    assert.equal(it.name, null);
    assert.equal(it.manufacturer, null);
    assert.equal(it.model, null);
    assert.equal(it.parental, true);
    assert.equal(it.parentId, null);
    assert.equal(it.registerWay, 1);
    assert.equal(it.secrecy, null);
    assert.equal(it.ipAddress, 'rtsp://192.168.1.64:554/Streaming/Channels/101');
    assert.equal(it.port, 8000);
    assert.equal(it.status, 'ON');
    assert.equal(it.longitude, null);
    assert.equal(it.latitude, null);
    assert.equal(it.ptzType, 2);
    assert.equal(it.typeCode, '132');
  });

  void test('status words devices use map to ON, OFF or UNKNOWN', () => {
    const cases: Array<[string, string]> = [
      ['ON', 'ON'],
      ['on', 'ON'],
      ['ONLINE', 'ON'],
      ['OK', 'ON'],
      ['1', 'ON'],
      ['OFF', 'OFF'],
      ['OFFLINE', 'OFF'],
      ['0', 'OFF'],
      ['VLOST', 'OFF'],
      ['DEFECT', 'OFF'],
      ['weird', 'UNKNOWN'],
      ['', 'UNKNOWN'],
    ];
    for (const [sent, want] of cases) {
      const [it] = catalogOf(response(`<Item><DeviceID>34020000001310000001</DeviceID><Status>${sent}</Status></Item>`)).items;
      assert.equal(it?.status, want, sent);
    }
  });

  void test('positions out of range are dropped; one zero coordinate with a real other is kept', () => {
    const item = (lon: string, lat: string): string =>
      `<Item><DeviceID>34020000001310000001</DeviceID><Longitude>${lon}</Longitude><Latitude>${lat}</Latitude></Item>`;
    assert.deepEqual(pos(catalogOf(response(item('200', '95')))), [null, null]);
    assert.deepEqual(pos(catalogOf(response(item(' 117.2 ', '0')))), [117.2, 0]);
    assert.deepEqual(pos(catalogOf(response(item('1e2', '-3.5')))), [100, -3.5]);
    assert.deepEqual(pos(catalogOf(response(item('E117', 'N31')))), [null, null]);
  });

  void test('SumNum wins over a disagreeing DeviceList Num; missing SumNum falls back to Num, then to the items', () => {
    assert.equal(catalogOf(response(camera(1) + camera(2), { sumNum: '8', num: '5' })).sumNum, 8);
    assert.equal(catalogOf(response(camera(1), { sumNum: 'x', num: '4' })).sumNum, 4);
    assert.equal(catalogOf(response(camera(1) + camera(2), { sumNum: '', num: '' })).sumNum, 2);
  });

  void test('an empty answer (SumNum 0, no list) has no items', () => {
    const xml =
      '<?xml version="1.0"?><Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><SumNum>0</SumNum></Response>';
    const catalog = catalogOf(xml);
    assert.equal(catalog.sumNum, 0);
    assert.deepEqual(catalog.items, []);
  });

  void test('items without a DeviceID are skipped and counted', () => {
    const catalog = catalogOf(response('<Item><Name>orphan</Name></Item><Item><DeviceID>null</DeviceID></Item>' + camera(3), { sumNum: '3' }));
    assert.equal(catalog.items.length, 1);
    assert.equal(catalog.skipped, 2);
  });

  void test('several ParentID values keep the first as parentId; PTZType inside Info wins', () => {
    const [it] = catalogOf(
      response(
        '<Item><DeviceID>34020000001310000001</DeviceID><ParentID>34020000002160000001/34020000002160000002</ParentID>' +
          '<PTZType>4</PTZType><Info><PTZType>1</PTZType></Info></Item>',
      ),
    ).items;
    assert.equal(it?.parentId, '34020000002160000001');
    assert.equal(it?.ptzType, 1);
  });

  void test('a catalog NOTIFY carries the event of each item; ON/OFF events set the status', () => {
    const items =
      '<Item><DeviceID>34020000001310000001</DeviceID><Event>OFF</Event></Item>' +
      '<Item><DeviceID>34020000001310000002</DeviceID><Event>on</Event></Item>' +
      '<Item><DeviceID>34020000001310000003</DeviceID><Event>DEL</Event></Item>' +
      '<Item><DeviceID>34020000001310000004</DeviceID><Event>ADD</Event><Name>新</Name><Status>ON</Status></Item>' +
      '<Item><DeviceID>34020000001310000005</DeviceID><Event>VLOST</Event></Item>';
    const catalog = catalogOf(response(items, { root: 'Notify', sumNum: '5', num: '5' }));
    assert.equal(catalog.kind, 'notify');
    assert.deepEqual(
      catalog.items.map((i) => [i.event, i.status]),
      [
        ['OFF', 'OFF'],
        ['ON', 'ON'],
        ['DEL', 'UNKNOWN'],
        ['ADD', 'ON'],
        ['VLOST', 'OFF'],
      ],
    );
  });

  void test('toChannelUpdate keeps exactly the ChannelUpdate fields', () => {
    const [it] = catalogOf(response('<Item><DeviceID>34020000001310000001</DeviceID><Event>ADD</Event></Item>', { root: 'Notify' })).items;
    assert.ok(it);
    const update: ChannelUpdate = toChannelUpdate(it);
    assert.deepEqual(Object.keys(update).sort(), [
      'address', 'block', 'businessGroupId', 'channelId', 'civilCode', 'ipAddress', 'latitude', 'longitude',
      'manufacturer', 'model', 'name', 'owner', 'parentId', 'parental', 'port', 'ptzType', 'registerWay',
      'secrecy', 'status', 'typeCode',
    ]);
    assert.equal('event' in update, false);
  });
});

function pos(c: CatalogMessage): [number | null, number | null] {
  const it = c.items[0];
  return [it?.longitude ?? null, it?.latitude ?? null];
}
