import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRecordings, deviceTime, readRecordQuery, selectRecordings, splitRecordParts, type SimRecording } from './recordings';

const HOUR = 3600_000;

describe('simulated device recordings', () => {
  test('the default disk holds one 10-minute file per hour for the 24 hours before the current one', () => {
    const now = Date.UTC(2024, 4, 4, 6, 30, 0);
    const files = defaultRecordings(now);
    assert.equal(files.length, 24);
    assert.equal(files[0]?.start, Date.UTC(2024, 4, 3, 6));
    assert.equal(files[23]?.start, Date.UTC(2024, 4, 4, 5));
    assert.ok(files.every((f) => f.end - f.start === 600_000 && f.start % HOUR === 0));
    assert.equal(files.filter((f) => f.type === 'alarm').length, 4);
  });

  test('a RecordInfo query is read like firmware reads it, and selects the files overlapping its range', () => {
    const body = Buffer.from(
      '<?xml version="1.0"?>\n<Query>\n<CmdType>RecordInfo</CmdType>\n<SN>18</SN>\n<DeviceID>34020000001310000001</DeviceID>\n' +
        '<StartTime>2024-05-04T10:05:00</StartTime>\n<EndTime>2024-05-04 12:00:00</EndTime>\n<Type>Alarm</Type>\n</Query>\n',
    );
    const q = readRecordQuery(body);
    assert.deepEqual(q, { sn: '18', deviceId: '34020000001310000001', start: Date.UTC(2024, 4, 4, 2, 5), end: Date.UTC(2024, 4, 4, 4), type: 'alarm' });
    const files: SimRecording[] = [0, 1, 2, 3, 4].map((h) => ({ start: Date.UTC(2024, 4, 4, h), end: Date.UTC(2024, 4, 4, h, 10), type: h === 2 ? 'time' : 'alarm' }));
    assert.deepEqual(selectRecordings(files, q!).map((f) => new Date(f.start).getUTCHours()), [3], 'hour 2 is a time file; hour 4 starts at the end');
    assert.deepEqual(selectRecordings(files, { ...q!, type: 'all' }).map((f) => new Date(f.start).getUTCHours()), [2, 3]);
    assert.deepEqual(selectRecordings(files, { ...q!, start: null }), []);
    assert.equal(readRecordQuery(Buffer.from('<Query><CmdType>Catalog</CmdType></Query>')), undefined);
  });

  test('answers are split in parts of at most N items, in order or dealt newest first across parts', () => {
    const files: SimRecording[] = Array.from({ length: 7 }, (_, i) => ({ start: i, end: i + 1 }));
    assert.deepEqual(splitRecordParts(files, 3, false).map((p) => p.map((f) => f.start)), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(splitRecordParts(files, 3, true).map((p) => p.map((f) => f.start)), [[6, 3, 0], [5, 2], [4, 1]]);
    assert.deepEqual(splitRecordParts([], 3, true), []);
  });

  test('times are written in local time without a zone, with a T or a space', () => {
    const t = Date.UTC(2024, 4, 4, 6, 43, 16);
    assert.equal(deviceTime(t, 'T'), '2024-05-04T14:43:16');
    assert.equal(deviceTime(t, ' '), '2024-05-04 14:43:16');
  });
});
