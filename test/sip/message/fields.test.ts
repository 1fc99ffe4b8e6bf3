import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseUri, formatUri, parseNameAddr, formatNameAddr, parseVia, formatVia, parseCSeq, parseParams,
} from '../../../src/sip/message';

void describe('URIs', () => {
  void test('a GB device URI has the 20-digit ID as user and a host that may be bare digits', () => {
    const uri = parseUri('sip:34020000001320000002@3402000000');
    assert.deepEqual(uri, { scheme: 'sip', user: '34020000001320000002', host: '3402000000', params: new Map() });
  });

  void test('host forms: IPv4 with port, domain, IPv6 in brackets; params and headers kept', () => {
    const a = parseUri('SIP:34020000001320000002@192.168.6.71:5060;transport=UDP;lr?subject=x');
    assert.equal(a?.scheme, 'sip');
    assert.equal(a?.host, '192.168.6.71');
    assert.equal(a?.port, 5060);
    assert.deepEqual([...(a?.params ?? [])], [['transport', 'UDP'], ['lr', null]]);
    assert.equal(a?.headers, 'subject=x');
    const b = parseUri('sips:user:secret@[::1]:5061');
    assert.equal(b?.host, '::1');
    assert.equal(b?.password, 'secret');
    assert.equal(formatUri(b!), 'sips:user:secret@[::1]:5061');
    assert.equal(parseUri('sip:3402000000.spvmn.cn')?.host, '3402000000.spvmn.cn');
  });

  void test('invalid URIs give null', () => {
    for (const bad of ['', 'sip:', 'http://x', 'tel:+123', 'sip:@host', 'sip:a@', 'sip:a@host:99999', 'sip:a@host:x', 'sip:a@[::1', 'sip:a b@c', 'sip:a@h<st', 'sip:a@[zz::1]', 'nocolon']) {
      assert.equal(parseUri(bad), null, bad);
    }
  });

  void test('formatUri reverses parseUri', () => {
    for (const text of ['sip:34020000001320000002@192.168.6.71:5060', 'sip:a@b;lr;transport=tcp', 'sip:3402000000', 'sip:a@[2001:db8::1];maddr=x?h=v']) {
      assert.equal(formatUri(parseUri(text)!), text);
    }
  });
});

void describe('name-addr', () => {
  void test('all the From/To/Contact shapes devices send', () => {
    const cases: Array<[string, string | undefined, string, Record<string, string | null>]> = [
      ['<sip:34020000001320000002@192.168.6.71:5060>;tag=2088733642', undefined, 'sip:34020000001320000002@192.168.6.71:5060', { tag: '2088733642' }],
      ['"Camera 1" <sip:a@b>;tag=1;expires=60', 'Camera 1', 'sip:a@b', { tag: '1', expires: '60' }],
      ['Camera <sip:a@b;lr>', 'Camera', 'sip:a@b;lr', {}],
      ['sip:a@b;tag=9', undefined, 'sip:a@b', { tag: '9' }],
      ['  "q\\"uote" <sip:a@b> ;tag=x ', 'q"uote', 'sip:a@b', { tag: 'x' }],
      ['<sip:a@[::1]:5060>', undefined, 'sip:a@[::1]:5060', {}],
    ];
    for (const [text, display, uriText, params] of cases) {
      const na = parseNameAddr(text);
      assert.ok(na, text);
      assert.equal(na.displayName, display, text);
      assert.equal(na.uriText, uriText, text);
      assert.deepEqual(Object.fromEntries(na.params), params, text);
    }
    assert.equal(parseNameAddr('sip:a@b;tag=9')?.uri.params.size, 0);
    assert.equal(parseNameAddr('<sip:a@b;lr>')?.uri.params.has('lr'), true);
  });

  void test('broken name-addrs give null', () => {
    for (const bad of ['', '<sip:a@b', '"open <sip:a@b>', '"x" sip:a@b', '<http://x>', '<sip:a@b> junk']) {
      assert.equal(parseNameAddr(bad), null, bad);
    }
  });

  void test('formatNameAddr writes the angle-bracket form and echoes the URI text', () => {
    assert.equal(formatNameAddr(parseNameAddr('sip:a@b;tag=9')!), '<sip:a@b>;tag=9');
    assert.equal(formatNameAddr(parseNameAddr('"Cam \\"1\\"" <sip:a@b>;tag=1')!), '"Cam \\"1\\"" <sip:a@b>;tag=1');
    const na = parseNameAddr('<sip:a@b>')!;
    na.params.set('tag', '42');
    assert.equal(formatNameAddr(na), '<sip:a@b>;tag=42');
    assert.equal(formatNameAddr({ uri: parseUri('sip:x@y')!, uriText: '', params: new Map() }), '<sip:x@y>');
  });
});

void describe('Via, CSeq, params', () => {
  void test('Via with rport flag, rport value, received, spaces around slashes, IPv6', () => {
    const v = parseVia('SIP/2.0/UDP 192.168.6.71:5060;rport;branch=z9hG4bK1251336551');
    assert.deepEqual(v, { protocol: 'SIP/2.0', transport: 'UDP', host: '192.168.6.71', port: 5060, params: new Map([['rport', null], ['branch', 'z9hG4bK1251336551']]) });
    const w = parseVia('SIP / 2.0 / tcp [2001:db8::2];received=10.0.0.1;rport=5062');
    assert.equal(w?.transport, 'TCP');
    assert.equal(w?.host, '2001:db8::2');
    assert.equal(w?.port, undefined);
    assert.equal(w?.params.get('rport'), '5062');
    assert.equal(formatVia(w!), 'SIP/2.0/TCP [2001:db8::2];received=10.0.0.1;rport=5062');
    assert.equal(formatVia(v!), 'SIP/2.0/UDP 192.168.6.71:5060;rport;branch=z9hG4bK1251336551');
    for (const bad of ['', 'SIP/2.0 192.168.1.1', 'SIP/2.0/UDP', 'SIP/2.0/UDP ;branch=1', 'SIP/2.0/UDP host:70000']) {
      assert.equal(parseVia(bad), null, bad);
    }
  });

  void test('CSeq', () => {
    assert.deepEqual(parseCSeq('20 MESSAGE'), { seq: 20, method: 'MESSAGE' });
    assert.deepEqual(parseCSeq('  4294967295   INVITE '), { seq: 4294967295, method: 'INVITE' });
    for (const bad of ['', 'MESSAGE', '20', '20MESSAGE', '-1 BYE', '4294967296 BYE', '1 BYE extra', '1 B@D']) {
      assert.equal(parseCSeq(bad), null, bad);
    }
  });

  void test('params: flags, values, quoted semicolons, lower-cased names, first value wins', () => {
    const p = parseParams(';Tag=ab;lr; expires = 60 ;x="a;b";tag=zz;;');
    assert.deepEqual([...p], [['tag', 'ab'], ['lr', null], ['expires', '60'], ['x', '"a;b"']]);
    assert.equal(parseParams('').size, 0);
  });
});
