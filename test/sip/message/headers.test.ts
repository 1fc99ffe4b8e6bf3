import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Headers, canonicalHeaderName, wireHeaderName, splitHeaderList } from '../../../src/sip/message';

void describe('Headers', () => {
  void test('names are stored lower-case long form and looked up in any case or compact form', () => {
    const h = new Headers([['V', 'SIP/2.0/UDP a'], ['Call-ID', 'x'], ['CONTENT-TYPE', 'application/sdp']]);
    assert.deepEqual(h.entries().map((e) => e.name), ['via', 'call-id', 'content-type']);
    assert.equal(h.get('via'), 'SIP/2.0/UDP a');
    assert.equal(h.get('i'), 'x');
    assert.equal(h.get('c'), 'application/sdp');
    assert.equal(h.get('Expires'), undefined);
    assert.equal(h.has('CALL-ID'), true);
  });

  void test('every compact form expands to its long name', () => {
    const expected: Record<string, string> = {
      i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject',
      k: 'supported', t: 'to', v: 'via', o: 'event', u: 'allow-events', r: 'refer-to', b: 'referred-by', x: 'session-expires',
    };
    for (const [short, long] of Object.entries(expected)) {
      assert.equal(canonicalHeaderName(short), long);
      assert.equal(canonicalHeaderName(short.toUpperCase()), long);
    }
    assert.equal(canonicalHeaderName('y'), 'y');
  });

  void test('wire spelling follows the RFCs for known names and Title-Cases the others', () => {
    assert.equal(wireHeaderName('call-id'), 'Call-ID');
    assert.equal(wireHeaderName('i'), 'Call-ID');
    assert.equal(wireHeaderName('cseq'), 'CSeq');
    assert.equal(wireHeaderName('www-authenticate'), 'WWW-Authenticate');
    assert.equal(wireHeaderName('content-length'), 'Content-Length');
    assert.equal(wireHeaderName('max-forwards'), 'Max-Forwards');
    assert.equal(wireHeaderName('user-agent'), 'User-Agent');
    assert.equal(wireHeaderName('via'), 'Via');
    assert.equal(wireHeaderName('x-gb-ver'), 'X-GB-Ver');
    assert.equal(wireHeaderName('x-custom-thing'), 'X-Custom-Thing');
    assert.equal(wireHeaderName('p-charging-vector'), 'P-Charging-Vector');
  });

  void test('getAll splits comma-joined list headers but never WWW-Authenticate, Authorization or Date', () => {
    const h = new Headers([
      ['Via', 'SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2'],
      ['Via', 'SIP/2.0/UDP c'],
      ['Allow', 'INVITE, ACK,BYE ,, MESSAGE'],
      ['Contact', '"Doe, John" <sip:a@b;x=1,2>;q=0.5, <sip:c@d>'],
      ['WWW-Authenticate', 'Digest realm="3402000000", nonce="a,b", algorithm=MD5'],
      ['Authorization', 'Digest username="x", realm="y"'],
      ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ['Route', '<sip:p1;lr>,<sip:p2;lr>'],
    ]);
    assert.deepEqual(h.getAll('via'), ['SIP/2.0/UDP a;branch=1', 'SIP/2.0/UDP b;branch=2', 'SIP/2.0/UDP c']);
    assert.deepEqual(h.getAll('allow'), ['INVITE', 'ACK', 'BYE', 'MESSAGE']);
    assert.deepEqual(h.getAll('contact'), ['"Doe, John" <sip:a@b;x=1,2>;q=0.5', '<sip:c@d>']);
    assert.deepEqual(h.getAll('www-authenticate'), ['Digest realm="3402000000", nonce="a,b", algorithm=MD5']);
    assert.deepEqual(h.getAll('authorization'), ['Digest username="x", realm="y"']);
    assert.equal(h.get('date'), 'Sat, 13 Nov 2010 23:29:00 GMT');
    assert.deepEqual(h.getAll('route'), ['<sip:p1;lr>', '<sip:p2;lr>']);
    assert.equal(h.get('contact'), '"Doe, John" <sip:a@b;x=1,2>;q=0.5');
  });

  void test('splitHeaderList respects escaped quotes', () => {
    assert.deepEqual(splitHeaderList('"a \\" , b" <sip:x>, <sip:y>'), ['"a \\" , b" <sip:x>', '<sip:y>']);
    assert.deepEqual(splitHeaderList('  '), []);
  });

  void test('set replaces every line in place of the first; append, prepend and delete keep order', () => {
    const h = new Headers([['Alpha', '1'], ['Via', 'v1'], ['Beta', '2'], ['Via', 'v2'], ['Gamma', '3']]);
    h.set('via', 'only');
    assert.deepEqual(h.entries().map((e) => `${e.name}:${e.value}`), ['alpha:1', 'via:only', 'beta:2', 'gamma:3']);
    h.prepend('Via', 'top');
    h.append('v', 'bottom');
    assert.deepEqual(h.getAll('via'), ['top', 'only', 'bottom']);
    assert.equal(h.entries()[1]?.value, 'top');
    h.prepend('Route', '<sip:r>');
    assert.equal(h.entries()[0]?.name, 'route');
    h.delete('VIA');
    assert.equal(h.has('via'), false);
    h.set('new', 'x');
    assert.equal(h.entries().at(-1)?.name, 'new');
  });

  void test('clone is deep: changing the copy leaves the original alone', () => {
    const h = new Headers([['To', '<sip:a@b>']]);
    const copy = h.clone();
    copy.set('to', '<sip:a@b>;tag=1');
    (copy.entries()[0] as { value: string }).value = 'changed';
    assert.equal(h.get('to'), '<sip:a@b>');
  });
});
