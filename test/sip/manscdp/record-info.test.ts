import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseManscdp, readGbDateTime, readRecordInfoResponse, type RecordInfoMessage } from '../../../src/sip/manscdp';
import { traceBody } from './real-traces';

const ZONE = 'Asia/Shanghai';
const CHANNEL = '34020000001310000001';

function answerOf(body: Buffer, timeZone = ZONE): RecordInfoMessage {
  const parsed = parseManscdp(body);
  if (!parsed.ok) assert.fail(parsed.error);
  const answer = readRecordInfoResponse(parsed.value, timeZone);
  assert.ok(answer, 'a RecordInfo answer');
  return answer;
}

function response(items: string, head = '<SumNum>1</SumNum>\n<RecordList Num="1">', tail = '</RecordList>'): string {
  return (
    `<?xml version="1.0" encoding="GB2312"?>\n<Response>\n<CmdType>RecordInfo</CmdType>\n<SN>7</SN>\n` +
    `<DeviceID>${CHANNEL}</DeviceID>\n<Name>Camera 1</Name>\n${head}\n${items}${tail}\n</Response>\n`
  );
}

function item(start: string, end: string, extra = ''): string {
  return `<Item><DeviceID>${CHANNEL}</DeviceID><Name>Camera 1</Name><StartTime>${start}</StartTime><EndTime>${end}</EndTime><Secrecy>0</Secrecy><Type>time</Type>${extra}</Item>\n`;
}

/** 2024-05-04 14:43:16 in Shanghai. */
const T0 = Date.UTC(2024, 4, 4, 6, 43, 16);

describe('RecordInfo answers', () => {
  test('the Hikvision NVR answer from the real trace gives two recordings in UTC that match their file names', () => {
    const answer = answerOf(traceBody('36_dev_MESSAGE_RecordInfo.sip'));
    assert.equal(answer.sn, 18);
    assert.equal(answer.deviceId, CHANNEL);
    assert.equal(answer.name, 'IPCamera 01');
    assert.equal(answer.sumNum, 2);
    assert.equal(answer.skipped, 0);
    assert.equal(answer.items.length, 2);
    for (const it of answer.items) {
      // The NVR names its files after the UTC seconds of their start and end.
      assert.equal(it.filePath, `${it.start / 1000}_${it.end / 1000}`);
      assert.equal(it.deviceId, CHANNEL);
      assert.equal(it.type, 'time');
      assert.equal(it.secrecy, 0);
      assert.equal(it.address, 'Address 1');
      assert.equal(it.fileSize, null);
      assert.equal(it.recorderId, null);
    }
    assert.equal(answer.items[0]?.start, T0);
  });

  test('times with a space, unpadded fields, fractions, a zone suffix or 24:00 are read; impossible dates are skipped', () => {
    const body = response(
      item('2024-05-04 14:43:16', '2024-5-4 15:0:0') +
        item('2024-05-04T14:43:16.5', '2024-05-04T14:53:16,250') +
        item('2024-05-04T06:43:16Z', '2024-05-04T14:53:16+08:00') +
        item('2024-05-04T23:50:00', '2024-05-04T24:00:00') +
        item('2024-02-30T10:00:00', '2024-02-30T11:00:00') +
        item('2024-05-04T14:43:16', 'yesterday') +
        item('2024-05-04T15:00:00', '2024-05-04T14:00:00'),
      '<SumNum>7</SumNum>\n<RecordList Num="7">',
    );
    const answer = answerOf(Buffer.from(body));
    assert.equal(answer.sumNum, 7);
    assert.equal(answer.skipped, 3, 'Feb 30, an unreadable end and an end before the start');
    const times = answer.items.map((i) => [i.start - T0, i.end - T0]);
    assert.deepEqual(times, [
      [0, (16 * 60 + 44) * 1000],
      [500, 600_250],
      [0, 600_000],
      [Date.UTC(2024, 4, 4, 15, 50) - T0, Date.UTC(2024, 4, 4, 16, 0) - T0],
    ]);
  });

  test('the configured zone decides what a zoneless time means', () => {
    const body = Buffer.from(response(item('2024-07-01T12:00:00', '2024-07-01T12:10:00')));
    assert.equal(answerOf(body, 'Asia/Shanghai').items[0]?.start, Date.UTC(2024, 6, 1, 4, 0, 0));
    assert.equal(answerOf(body, 'Europe/Berlin').items[0]?.start, Date.UTC(2024, 6, 1, 10, 0, 0));
  });

  test('missing and odd fields are tolerated one by one', () => {
    const bare = '<Item><StartTime>2024-05-04T14:43:16</StartTime><EndTime>2024-05-04T14:53:16</EndTime></Item>\n';
    const odd = item('2024-05-04T14:43:16', '2024-05-04T14:53:16', '<FileSize>1.5MB</FileSize><RecorderID>null</RecorderID><StreamNumber>1</StreamNumber>').replace(
      '<Type>time</Type>',
      '<Type> ALARM </Type>',
    );
    const full = item('2024-05-04T14:43:16', '2024-05-04T14:53:16', '<FilePath>/mnt/a.mp4</FilePath><FileSize>157286400</FileSize><RecorderID>34020000001310000009</RecorderID>');
    const answer = answerOf(Buffer.from(response(bare + odd + full, '<SumNum>3</SumNum>\n<RecordList Num="3">')));
    const [a, b, c] = answer.items;
    assert.ok(a && b && c);
    assert.equal(a.deviceId, CHANNEL, 'an item without DeviceID belongs to the channel asked about');
    assert.deepEqual([a.name, a.filePath, a.address, a.secrecy, a.type, a.fileSize, a.streamNumber], [null, null, null, null, null, null, null]);
    assert.deepEqual([b.type, b.fileSize, b.recorderId, b.streamNumber], ['alarm', null, null, 1]);
    assert.deepEqual([c.filePath, c.fileSize, c.recorderId], ['/mnt/a.mp4', 157286400, '34020000001310000009']);
  });

  test('SumNum 0 comes without a list; a missing SumNum falls back to Num, then to the items', () => {
    const none = answerOf(Buffer.from(response('', '<SumNum>0</SumNum>', '')));
    assert.deepEqual([none.sumNum, none.items.length, none.skipped], [0, 0, 0]);
    const byNum = answerOf(Buffer.from(response(item('2024-05-04T14:43:16', '2024-05-04T14:53:16'), '<RecordList Num="5">')));
    assert.equal(byNum.sumNum, 5);
    const byCount = answerOf(Buffer.from(response(item('2024-05-04T14:43:16', '2024-05-04T14:53:16') + item('x', 'y'), '<SumNum>many</SumNum><RecordList>')));
    assert.equal(byCount.sumNum, 2);
  });

  test('GB2312 names are decoded', () => {
    const xml = response(item('2024-05-04T14:43:16', '2024-05-04T14:53:16').replace('<Name>Camera 1</Name>', '<Name>一号楼门口</Name>')).replace(
      '<Name>Camera 1</Name>',
      '<Name>监控中心录像机</Name>',
    );
    const answer = answerOf(iconv.encode(xml, 'gb2312'));
    assert.equal(answer.name, '监控中心录像机');
    assert.equal(answer.items[0]?.name, '一号楼门口');
  });

  test('other commands and the query itself are not RecordInfo answers', () => {
    const query = parseManscdp(traceBody('34_plat_MESSAGE_RecordInfo.sip'));
    assert.ok(query.ok);
    assert.equal(readRecordInfoResponse(query.value, ZONE), null);
    const catalog = parseManscdp(Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><SumNum>0</SumNum></Response>'));
    assert.ok(catalog.ok);
    assert.equal(readRecordInfoResponse(catalog.value, ZONE), null);
  });

  test('dateTime values are read strictly enough to refuse nonsense', () => {
    for (const bad of [null, '', '2024-05-04', '14:43:16', '2024-13-01T00:00:00', '2024-05-04T25:00:00', '2024-05-04T24:00:01', '1969-12-31T23:59:59', '2024-05-04T14:60:00', '2024-05-04T14:43:16+8']) {
      assert.equal(readGbDateTime(bad, ZONE), null, String(bad));
    }
    assert.equal(readGbDateTime('  2024-05-04T14:43:16  ', ZONE), T0);
    assert.equal(readGbDateTime('2024-05-04T01:43:16-0500', ZONE), T0);
  });
});
