import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { describe, test } from 'node:test';
import { catalogDocuments, catalogItem, type CatalogEntry } from '../../src/cascade/catalog-items';
import { encodeForUpper } from '../../src/cascade/upper-encoding';
import { parseManscdp, readCatalogResponse } from '../../src/sip/manscdp';
import type { Channel } from '../../src/storage/types';

function channel(id: string, fields: Partial<Channel> = {}): Channel {
  return {
    deviceId: '34020000001180000001', channelId: id, name: `东门 ${id.slice(-3)}`, manufacturer: 'Hik & Co <x>', model: 'M', owner: null, civilCode: null,
    block: null, address: '一号楼', parental: false, parentId: null, businessGroupId: null, registerWay: null, secrecy: null, ipAddress: null,
    port: null, status: 'ON', longitude: 119.3, latitude: 26.1, ptzType: 1, typeCode: id.slice(10, 13), present: true, createdAt: 0, updatedAt: 0, ...fields,
  };
}

const entry = (c: Channel, online = true): CatalogEntry => ({ channel: c, id: c.channelId, parentId: '34020000002000000001', businessGroupId: null, online });

describe('catalog items and documents for an upper platform', () => {
  test('parts read back with our own MANSCDP reader: SumNum, SN, every item, escaped text, status from presence', () => {
    const items = [
      catalogItem({ ...entry(channel('34020000002150000001')), parentId: '34020000002000000001' }),
      catalogItem({ ...entry(channel('34020000002160000001')), businessGroupId: '34020000002150000001' }),
      ...Array.from({ length: 5 }, (_, i) => catalogItem(entry(channel(`3402000000131000000${i}`), i !== 2))),
    ];
    const docs = catalogDocuments('Response', 77, '34020000002000000001', items, 3, 'GB2312');
    assert.equal(docs.length, 3);
    const read = docs.map((d) => {
      const parsed = parseManscdp(encodeForUpper(d, 'GB2312'));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return readCatalogResponse(parsed.value)!;
    });
    assert.deepEqual(read.map((r) => [r.sn, r.sumNum, r.items.length]), [[77, 7, 3], [77, 7, 3], [77, 7, 1]]);
    const all = read.flatMap((r) => r.items);
    assert.equal(all[2]?.manufacturer, 'Hik & Co <x>');
    assert.equal(all[2]?.name, '东门 000');
    assert.equal(all[4]?.status, 'OFF', 'a channel of an offline device is OFF');
    assert.equal(all[1]?.businessGroupId, '34020000002150000001');
    const empty = catalogDocuments('Notify', 1, '34020000002000000001', [], 10, 'UTF-8');
    assert.equal(empty.length, 1);
    assert.match(empty[0]!, /<SumNum>0<\/SumNum>/);
  });

  test('GB2312 bodies: plain text is encoded as is, a character GB2312 lacks becomes a reference', () => {
    const text = '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<Name>东门?</Name>\n</Notify>\n';
    assert.deepEqual(encodeForUpper(text, 'GB2312'), iconv.encode(text, 'gb2312'));
    const odd = encodeForUpper(text.replace('东门', '坣门'), 'GB2312');
    assert.match(odd.toString('latin1'), /&#x5763;/);
    assert.equal(encodeForUpper(text.replace('GB2312', 'UTF-8'), 'UTF-8').toString('utf8').includes('东门'), true);
  });
});
