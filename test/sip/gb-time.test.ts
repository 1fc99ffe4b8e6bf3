import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGbTime, parseGbTime } from '../../src/sip/device/gb-time';

test('GB local times are Asia/Shanghai wall clock without a zone, and parse back', () => {
  const t = Date.UTC(2024, 4, 17, 6, 7, 33, 263);
  assert.equal(formatGbTime(t, 'Asia/Shanghai', true), '2024-05-17T14:07:33.263');
  assert.equal(formatGbTime(t, 'Asia/Shanghai'), '2024-05-17T14:07:33');
  assert.equal(parseGbTime('2024-05-17T14:07:33.263', 'Asia/Shanghai'), t);
  assert.equal(parseGbTime('2024-05-17 14:07:33', 'Asia/Shanghai'), t - 263);
  assert.equal(parseGbTime('2024-13-40T99:00:00', 'Asia/Shanghai'), null);
  assert.equal(parseGbTime('yesterday', 'Asia/Shanghai'), null);
});

test('zones with daylight saving are formatted right on both sides of the change', () => {
  // Europe/Berlin: 2024-03-31 01:00 UTC is when clocks jump from 02:00 to 03:00.
  assert.equal(formatGbTime(Date.UTC(2024, 2, 31, 0, 59, 59), 'Europe/Berlin'), '2024-03-31T01:59:59');
  assert.equal(formatGbTime(Date.UTC(2024, 2, 31, 1, 0, 0), 'Europe/Berlin'), '2024-03-31T03:00:00');
  const intl = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'medium' });
  for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2024, 11, 31); ms += 7 * 3600 * 1000 + 12345) {
    assert.equal(formatGbTime(ms, 'Europe/Berlin'), intl.format(ms).replace(' ', 'T'));
    assert.equal(parseGbTime(formatGbTime(ms, 'Asia/Shanghai', true), 'Asia/Shanghai'), ms);
  }
});
