import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readRecordInfoAsk, recordInfoDocuments } from '../../src/cascade/record-info-answer';
import { parseManscdp, readRecordInfoResponse } from '../../src/sip/manscdp';
import { pick, randomInt, seededRandom } from '../helpers/random';

const QUERY = '<?xml version="1.0" encoding="GB2312"?>\n<Query>\n<CmdType>RecordInfo</CmdType>\n<SN>7</SN>\n<DeviceID>34020000001310000001</DeviceID>\n<StartTime>2026-03-01T09:00:00</StartTime>\n<EndTime>2026-03-01T12:00:00</EndTime>\n<Type>time</Type>\n</Query>\n';

describe("an upper platform's RecordInfo query and our answer", () => {
  test('the window is read in the platform zone; a window longer than 31 days is cut; bad times give null', () => {
    const parsed = parseManscdp(Buffer.from(QUERY));
    assert.ok(parsed.ok);
    const ask = readRecordInfoAsk(parsed.value, 'Asia/Shanghai');
    assert.deepEqual(ask, { start: Date.parse('2026-03-01T01:00:00Z'), end: Date.parse('2026-03-01T04:00:00Z'), type: 'time' });
    const long = parseManscdp(Buffer.from(QUERY.replace('2026-03-01T12:00:00', '2026-12-01T00:00:00')));
    assert.ok(long.ok);
    const cut = readRecordInfoAsk(long.value, 'Asia/Shanghai')!;
    assert.equal(cut.end - cut.start, 31 * 24 * 3600 * 1000);
    const backwards = parseManscdp(Buffer.from(QUERY.replace('2026-03-01T12:00:00', '2026-03-01T08:00:00')));
    assert.ok(backwards.ok);
    assert.equal(readRecordInfoAsk(backwards.value, 'Asia/Shanghai'), null);
  });

  test('answer parts read back with our own RecordInfo reader: SumNum, SN, times', () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ start: Date.parse('2026-03-01T01:00:00Z') + i * 600_000, end: Date.parse('2026-03-01T01:05:00Z') + i * 600_000, type: 'time', filePath: `f${i}`, fileSize: null }));
    const docs = recordInfoDocuments(9, '35010000001310000101', '东门', entries, { perMessage: 2, charset: 'GB2312', timeZone: 'Asia/Shanghai', recorderId: '34020000002000000001' });
    assert.equal(docs.length, 3);
    const items = docs.flatMap((d) => {
      const parsed = parseManscdp(Buffer.from(d));
      assert.ok(parsed.ok);
      const read = readRecordInfoResponse(parsed.value, 'Asia/Shanghai')!;
      assert.equal(read.sumNum, 5);
      assert.equal(read.sn, 9);
      return read.items;
    });
    assert.deepEqual(items.map((i) => i.start), entries.map((e) => e.start));
    const none = recordInfoDocuments(1, '35010000001310000101', 'x', [], { perMessage: 2, charset: 'UTF-8', timeZone: 'Asia/Shanghai', recorderId: 'r' });
    assert.equal(none.length, 1);
    assert.doesNotMatch(none[0]!, /RecordList/);
  });

  test('fuzz: mutated and truncated queries never throw, and a result always has start < end', () => {
    const rand = seededRandom(0x5eed);
    const inserts = ['<', '>', '/', 'T', ' ', '9', '-', ':', '24:00:00', '&', '<StartTime>', '</EndTime>', '\u00e9', 'Z', '+08:00'];
    for (let i = 0; i < 3000; i++) {
      let text = QUERY;
      for (let e = randomInt(rand, 1, 6); e > 0; e--) {
        const at = randomInt(rand, 0, text.length);
        const op = randomInt(rand, 0, 2);
        if (op === 0) text = text.slice(0, at) + pick(rand, inserts) + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + randomInt(rand, 1, 8));
        else text = text.slice(0, at);
      }
      const parsed = parseManscdp(Buffer.from(text));
      if (!parsed.ok) continue;
      const ask = readRecordInfoAsk(parsed.value, 'Asia/Shanghai');
      if (ask !== null) {
        assert.ok(ask.start < ask.end);
        assert.ok(['all', 'time', 'alarm', 'manual'].includes(ask.type));
      }
    }
  });
});
