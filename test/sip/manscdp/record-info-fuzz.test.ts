import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseManscdp, readGbDateTime, readRecordInfoResponse } from '../../../src/sip/manscdp';
import { RecordInfoCollector } from '../../../src/sip/device/record-info-collector';
import { traceBody } from './real-traces';
import { mutate, pick, randomBelow, randomInt, seededRandom } from '../../helpers/random';

const QUIRKY_ANSWER = iconv.encode(
  '<?xml version="1.0" encoding="GB2312"?>\n<Response>\n<CmdType>RecordInfo</CmdType>\n<SN>44</SN>\n<DeviceID>34020000001310000002</DeviceID>\n' +
    '<Name>二号楼大厅</Name>\n<SumNum>3</SumNum>\n<RecordList Num="3">\n' +
    '<Item><DeviceID>34020000001310000002</DeviceID><Name>二号楼大厅</Name><FilePath>/a/b.mp4</FilePath><Address>大厅</Address>' +
    '<StartTime>2024-05-04 14:43:16</StartTime><EndTime>2024-05-04 15:16:26</EndTime><Secrecy>0</Secrecy><Type>alarm</Type>' +
    '<RecorderID>34020000001310000002</RecorderID><FileSize>157286400</FileSize><StreamNumber>0</StreamNumber></Item>\n' +
    '<Item><StartTime>2024-5-4T9:0:0.5</StartTime><EndTime>2024-05-04T24:00:00</EndTime><Type>MANUAL</Type></Item>\n' +
    '<Item><DeviceID>null</DeviceID><StartTime>2024-05-04T06:00:00Z</StartTime><EndTime>2024-05-04T14:10:00+08:00</EndTime></Item>\n' +
    '</RecordList>\n</Response>\n',
  'gb2312',
);
const EMPTY_ANSWER = Buffer.from('<Response><CmdType>RecordInfo</CmdType><SN>1</SN><DeviceID>34020000001310000002</DeviceID><Name>x</Name><SumNum>0</SumNum></Response>');
const SEEDS = [traceBody('36_dev_MESSAGE_RecordInfo.sip'), QUIRKY_ANSWER, EMPTY_ANSWER];

const TIME_VALUES = ['2024-05-04T14:43:16', '2024-05-04 14:43:16', '2024-02-29T00:00:00', '9999-99-99T99:99:99', '', 'null', '2024-05-04T14:43:16.123456789Z', '2024-05-04T24:00:00', '2024-05-04T14:43:16+23:59', '１２'];

/** Replaces the text of one element with a random value (keeps the document well-formed more often than byte damage). */
function mutateValue(rand: () => number, input: Buffer): Buffer {
  const text = input.toString('latin1');
  const values = [...text.matchAll(/>([^<>]*)</g)];
  const m = values.length > 0 ? pick(rand, values) : undefined;
  if (!m) return input;
  const at = m.index ?? 0;
  const value = rand() < 0.6 ? pick(rand, TIME_VALUES) : pick(rand, ['-1', '0', '1e9', 'abc', '999999999999999999999', ' ', '&amp;']);
  return Buffer.concat([Buffer.from(text.slice(0, at + 1), 'latin1'), Buffer.from(value), Buffer.from(text.slice(at + m[0].length - 1), 'latin1')]);
}

describe('fuzzing the RecordInfo reader', () => {
  test('5,000 mutated and truncated answers never throw, and every listed item has real times', () => {
    const rand = seededRandom(0x4ec0);
    let read = 0;
    let listed = 0;
    const collector = new RecordInfoCollector('Asia/Shanghai');
    for (let i = 0; i < 5000; i++) {
      let body = pick(rand, SEEDS);
      const rounds = randomInt(rand, 1, 3);
      for (let r = 0; r < rounds; r++) body = rand() < 0.5 ? mutateValue(rand, body) : mutate(rand, body);
      if (rand() < 0.1) body = body.subarray(0, randomBelow(rand, body.length + 1));
      const parsed = parseManscdp(body, rand() < 0.3 ? 'GB2312' : null);
      if (!parsed.ok) continue;
      const zone = pick(rand, ['Asia/Shanghai', 'Europe/Berlin', 'UTC']);
      const answer = readRecordInfoResponse(parsed.value, zone);
      collector.add(parsed.value);
      if (!answer) continue;
      read++;
      assert.ok(Number.isSafeInteger(answer.sumNum) && answer.sumNum >= 0, `case ${i}`);
      assert.ok(Number.isSafeInteger(answer.skipped) && answer.skipped >= 0, `case ${i}`);
      for (const item of answer.items) {
        listed++;
        assert.ok(Number.isFinite(item.start) && Number.isFinite(item.end) && item.end >= item.start, `case ${i}`);
        assert.ok(item.fileSize === null || (Number.isSafeInteger(item.fileSize) && item.fileSize >= 0), `case ${i}`);
        assert.ok(item.type === null || item.type === item.type.toLowerCase(), `case ${i}`);
      }
    }
    assert.ok(read > 500, `only ${read} answers were read`);
    assert.ok(listed > 500, `only ${listed} items were listed`);
    const result = collector.result('34020000001180000001', '34020000001310000002', false);
    for (let k = 1; k < result.items.length; k++) assert.ok((result.items[k - 1]?.start ?? 0) <= (result.items[k]?.start ?? 0));
  });

  test('the dateTime reader is total on random text', () => {
    const rand = seededRandom(99);
    const alphabet = '0123456789-:T .,Z+zt\u3000１';
    for (let i = 0; i < 20000; i++) {
      const text = Array.from({ length: randomBelow(rand, 30) }, () => alphabet[randomBelow(rand, alphabet.length)]).join('');
      const ms = readGbDateTime(text, 'Asia/Shanghai');
      assert.ok(ms === null || Number.isFinite(ms), text);
    }
  });
});
