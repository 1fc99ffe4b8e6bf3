import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManscdp, type ManscdpDocument } from '../../../src/sip/manscdp';
import { RecordInfoCollector } from '../../../src/sip/device/record-info-collector';

const CHANNEL = '34020000001310000001';
const NVR = '34020000001180000001';

function part(sumNum: number | null, hours: readonly number[], extraItems = ''): ManscdpDocument {
  const items = hours
    .map((h) => {
      const hh = String(h).padStart(2, '0');
      return `<Item><DeviceID>${CHANNEL}</DeviceID><Name>c</Name><FilePath>f${h}</FilePath><StartTime>2024-05-04T${hh}:00:00</StartTime><EndTime>2024-05-04T${hh}:10:00</EndTime><Secrecy>0</Secrecy><Type>time</Type></Item>`;
    })
    .join('');
  const xml =
    `<Response><CmdType>RecordInfo</CmdType><SN>9</SN><DeviceID>${CHANNEL}</DeviceID><Name>c</Name>` +
    `${sumNum === null ? '' : `<SumNum>${sumNum}</SumNum>`}<RecordList Num="${hours.length}">${items}${extraItems}</RecordList></Response>`;
  const parsed = parseManscdp(Buffer.from(xml));
  if (!parsed.ok) assert.fail(parsed.error);
  return parsed.value;
}

describe('RecordInfo reassembly', () => {
  test('parts arriving out of order are joined and sorted by start; the last one completes the answer', () => {
    const c = new RecordInfoCollector('Asia/Shanghai');
    assert.equal(c.answered, false);
    assert.equal(c.add(part(6, [20, 3])), false);
    assert.equal(c.answered, true);
    assert.equal(c.add(part(6, [11, 0])), false);
    assert.equal(c.add(part(6, [7, 15])), true);
    const r = c.result(NVR, CHANNEL, true);
    assert.deepEqual(r.items.map((i) => i.filePath), ['f0', 'f3', 'f7', 'f11', 'f15', 'f20']);
    assert.deepEqual([r.deviceId, r.channelId, r.sumNum, r.complete, r.skipped], [NVR, CHANNEL, 6, true, 0]);
  });

  test('a part sent twice counts once, so the answer is not taken as complete too early', () => {
    const c = new RecordInfoCollector('Asia/Shanghai');
    assert.equal(c.add(part(4, [1, 2])), false);
    assert.equal(c.add(part(4, [1, 2])), false);
    assert.equal(c.received, 2);
    assert.equal(c.add(part(4, [3, 4])), true);
  });

  test('items without usable times count towards SumNum but are not listed', () => {
    const c = new RecordInfoCollector('Asia/Shanghai');
    const broken = '<Item><DeviceID>x</DeviceID><StartTime>soon</StartTime></Item>';
    assert.equal(c.add(part(3, [1, 2], broken)), true);
    const r = c.result(NVR, CHANNEL, true);
    assert.equal(r.items.length, 2);
    assert.equal(r.skipped, 1);
  });

  test('SumNum 0 completes at once with no items; a timed-out answer keeps what arrived', () => {
    const none = new RecordInfoCollector('Asia/Shanghai');
    assert.equal(none.add(part(0, [])), true);
    assert.deepEqual(none.result(NVR, CHANNEL, true).items, []);
    const partial = new RecordInfoCollector('Asia/Shanghai');
    partial.add(part(30, [1, 2, 3]));
    const r = partial.result(NVR, CHANNEL, false);
    assert.deepEqual([r.sumNum, r.complete, r.items.length], [30, false, 3]);
  });

  test('the largest SumNum announced wins, and documents that are not RecordInfo answers are ignored', () => {
    const c = new RecordInfoCollector('Asia/Shanghai');
    assert.equal(c.add(part(5, [1])), false);
    assert.equal(c.add(part(2, [2])), false, 'a smaller SumNum in a later part does not end the wait');
    const other = parseManscdp(Buffer.from('<Response><CmdType>Catalog</CmdType><SN>9</SN><SumNum>0</SumNum></Response>'));
    assert.ok(other.ok);
    assert.equal(c.add(other.value), false);
    assert.equal(c.result(NVR, CHANNEL, false).sumNum, 5);
  });
});
