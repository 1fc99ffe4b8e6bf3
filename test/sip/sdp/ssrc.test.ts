import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHistorySsrc, makeSsrc, ssrcRealmDigits, ssrcToNumber } from '../../../src/sip/sdp';

describe('GB/T 28181 SSRC (Annex G, y=)', () => {
  test("the domain tag is digits 4-8 of the domain ID: the standard's example 13010000002000000001 gives 10000", () => {
    assert.equal(ssrcRealmDigits('13010000002000000001'), '10000');
    assert.equal(ssrcRealmDigits('3402000000'), '20000');
  });
  test('a live SSRC starts with 0, a history one with 1, then the domain tag and a 4-digit sequence', () => {
    assert.equal(makeSsrc('live', '10000', 1), '0100000001');
    assert.equal(makeSsrc('history', ssrcRealmDigits('34020000002000000001'), 42), '1200000042');
    assert.equal(isHistorySsrc(makeSsrc('history', '20000', 7)), true);
    assert.equal(isHistorySsrc(makeSsrc('live', '20000', 7)), false);
  });
  test('the sequence wraps after 9999 so a running counter can be passed', () => {
    assert.equal(makeSsrc('live', '20000', 9999), '0200009999');
    assert.equal(makeSsrc('live', '20000', 10000), '0200000000');
    assert.equal(makeSsrc('live', '20000', 123456), '0200003456');
  });
  test('a domain tag that is not 5 digits, or a negative sequence, is refused', () => {
    assert.throws(() => makeSsrc('live', '1234', 1), RangeError);
    assert.throws(() => makeSsrc('live', '1234a', 1), RangeError);
    assert.throws(() => makeSsrc('live', '12345', -1), RangeError);
    assert.throws(() => makeSsrc('live', '12345', 1.5), RangeError);
    assert.throws(() => ssrcRealmDigits('3402'), RangeError);
  });
  test('every SSRC made fits the 32-bit RTP SSRC and converts back to its decimal value', () => {
    for (const kind of ['live', 'history'] as const) {
      for (const seq of [0, 1, 9999]) {
        const y = makeSsrc(kind, '99999', seq);
        assert.equal(y.length, 10);
        assert.equal(ssrcToNumber(y), Number(y));
      }
    }
    assert.equal(ssrcToNumber('1999999999'), 1999999999);
  });
  test('ssrcToNumber refuses what is not 1-10 digits or does not fit 32 bits', () => {
    assert.equal(ssrcToNumber('0000000000'), 0);
    assert.equal(ssrcToNumber('1002'), 1002);
    assert.equal(ssrcToNumber('4294967296'), null);
    assert.equal(ssrcToNumber('12345678901'), null);
    assert.equal(ssrcToNumber(''), null);
    assert.equal(ssrcToNumber('0x10'), null);
    assert.equal(ssrcToNumber(' 1'), null);
  });
});
