import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseSipMessage, parseVia, parseNameAddr, parseUri, type SipParseResult, type SipRequest } from '../../../src/sip/message';
import { KEEPALIVE_BODY, KEEPALIVE_TEXT, REGISTER_TEXT } from './helpers';

function parseText(text: string, maxSize?: number): SipParseResult {
  return parseSipMessage(Buffer.from(text, 'utf8'), maxSize === undefined ? undefined : { maxSize });
}

function okRequest(result: SipParseResult): SipRequest {
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  assert.equal(result.message.type, 'request');
  return result.message as SipRequest;
}

function errorCode(result: SipParseResult): string {
  assert.ok(!result.ok, 'expected a parse error');
  return result.error.code;
}

void describe('parseSipMessage: well-formed input', () => {
  void test('a typical REGISTER parses into method, Request-URI and headers', () => {
    const msg = okRequest(parseText(REGISTER_TEXT));
    assert.equal(msg.method, 'REGISTER');
    assert.equal(msg.uri, 'sip:34020000002000000001@3402000000');
    assert.equal(msg.headers.get('Expires'), '3600');
    assert.equal(msg.headers.get('CALL-ID'), '1881196343@192.168.1.64');
    assert.equal(msg.body.length, 0);
  });

  void test('a Keepalive MESSAGE keeps its body bytes', () => {
    const msg = okRequest(parseText(KEEPALIVE_TEXT));
    assert.equal(msg.body.toString('latin1'), KEEPALIVE_BODY);
  });

  void test('a REGISTER with compact headers parses with long names', () => {
    const text =
      'REGISTER sip:3402000000 SIP/2.0\r\n' +
      'v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa\r\n' +
      'f: <sip:34020000001320000001@3402000000>;tag=1\r\n' +
      't: <sip:34020000001320000001@3402000000>\r\n' +
      'i: abc@10.0.0.2\r\n' +
      'CSeq: 1 REGISTER\r\n' +
      'm: <sip:34020000001320000001@10.0.0.2:5060>\r\n' +
      'k: path\r\nu: presence\r\no: Catalog\r\ns: hello\r\nx: 1800\r\nr: <sip:a@b>\r\nb: <sip:c@d>\r\ne: gzip\r\n' +
      'c: Application/MANSCDP+xml\r\n' +
      'l: 0\r\n\r\n';
    const msg = okRequest(parseText(text));
    const names = msg.headers.entries().map((e) => e.name);
    assert.deepEqual(names, [
      'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'supported', 'allow-events', 'event', 'subject',
      'session-expires', 'refer-to', 'referred-by', 'content-encoding', 'content-type', 'content-length',
    ]);
    assert.equal(msg.headers.get('call-id'), 'abc@10.0.0.2');
    assert.equal(msg.headers.get('i'), 'abc@10.0.0.2');
  });

  void test('repeated and comma-joined Via and Contact lines are listed in order', () => {
    const text =
      'INVITE sip:34020000001320000001@10.0.0.2:5060 SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2\r\n' +
      'Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3\r\n' +
      'From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n' +
      'Contact: "Cam, lobby" <sip:a@10.0.0.2>;expires=60, <sip:b@10.0.0.2>\r\n' +
      'Content-Length: 0\r\n\r\n';
    const msg = okRequest(parseText(text));
    const vias = msg.headers.getAll('via').map((v) => parseVia(v));
    assert.deepEqual(vias.map((v) => v?.params.get('branch')), ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']);
    assert.equal(vias[1]?.host, '2001:db8::1');
    assert.equal(vias[1]?.port, 5070);
    assert.equal(vias[1]?.transport, 'TCP');
    assert.equal(vias[2]?.port, undefined);
    assert.equal(msg.headers.get('via'), 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1');
    const contacts = msg.headers.getAll('contact');
    assert.equal(contacts.length, 2);
    assert.equal(parseNameAddr(contacts[0] as string)?.displayName, 'Cam, lobby');
    assert.equal(parseNameAddr(contacts[0] as string)?.params.get('expires'), '60');
  });

  void test('folded header lines are joined with one space', () => {
    const text =
      'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\n ;branch=z9hG4bK1\r\n' +
      'From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nSubject: one,\r\n\ttwo\r\n   three\r\nCall-ID: x\r\nCSeq: 2 MESSAGE\r\nContent-Length: 0\r\n\r\n';
    const msg = okRequest(parseText(text));
    assert.equal(msg.headers.get('subject'), 'one, two three');
    assert.equal(parseVia(msg.headers.get('via') ?? '')?.params.get('branch'), 'z9hG4bK1');
  });

  void test('LF-only and mixed line endings parse the same as CRLF', () => {
    const lf = KEEPALIVE_TEXT.replace(/\r\n/g, '\n');
    const mixed = KEEPALIVE_TEXT.replace('CSeq: 20 MESSAGE\r\n', 'CSeq: 20 MESSAGE\n').replace(/(Content-Length: \d+)\r\n\r\n/, '$1\n\r\n');
    for (const text of [lf, mixed]) {
      const msg = okRequest(parseText(text));
      assert.equal(msg.headers.get('cseq'), '20 MESSAGE');
      assert.equal(msg.body.toString(), KEEPALIVE_BODY);
    }
    assert.match(mixed, /\d\n\r\n<\?xml/, 'the mixed variant really has an LF CRLF blank line');
  });

  void test('a padded Content-Length counts and extra datagram bytes after the body are ignored', () => {
    const text = KEEPALIVE_TEXT.replace(/Content-Length: \d+/, 'Content-Length:    10  ') + 'trailing junk';
    const msg = okRequest(parseText(text));
    assert.equal(msg.body.toString(), KEEPALIVE_BODY.slice(0, 10));
  });

  void test('a datagram without Content-Length takes the rest of the datagram as body', () => {
    const text = KEEPALIVE_TEXT.replace(/Content-Length: \d+\r\n/, '');
    const msg = okRequest(parseText(text));
    assert.equal(msg.body.toString(), KEEPALIVE_BODY);
  });

  void test('a GB2312 body keeps its bytes and Content-Length counts bytes, not characters', () => {
    const xml = '<?xml version="1.0" encoding="GB2312"?>\n<Response><Name>摄像机</Name></Response>\n';
    const body = iconv.encode(xml, 'gb2312');
    assert.equal(iconv.encode('摄像机', 'gb2312').length, 6);
    assert.equal(body.length, Buffer.byteLength(xml, 'latin1') + 3); // 3 characters of 2 bytes each
    const head = KEEPALIVE_TEXT.slice(0, KEEPALIVE_TEXT.indexOf('\r\n\r\n')).replace(/Content-Length: \d+/, `Content-Length: ${body.length}`);
    const msg = okRequest(parseSipMessage(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body])));
    assert.ok(msg.body.equals(body));
    assert.equal(iconv.decode(msg.body, 'gb2312'), xml);
  });

  void test('a UTF-8 display name in From is decoded as text', () => {
    const text = REGISTER_TEXT.replace('From: <sip:', 'From: "摄像机" <sip:');
    const msg = okRequest(parseText(text));
    assert.equal(parseNameAddr(msg.headers.get('from') ?? '')?.displayName, '摄像机');
  });

  void test('CRLF keep-alives before the start line are skipped', () => {
    const msg = okRequest(parseText(`\r\n\r\n${REGISTER_TEXT}`));
    assert.equal(msg.method, 'REGISTER');
  });

  void test('responses with odd reason phrases and extra spaces parse', () => {
    const base = 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 20 INVITE\r\nContent-Length: 0\r\n\r\n';
    const cases: Array<[string, number, string]> = [
      ['SIP/2.0 101 Dialog Establishement', 101, 'Dialog Establishement'],
      ['SIP/2.0   200    OK  ', 200, 'OK'],
      ['SIP/2.0 486 Busy Here', 486, 'Busy Here'],
      ['SIP/2.0 200', 200, ''],
      ['sip/2.0 603 Decline', 603, 'Decline'],
    ];
    for (const [line, status, reason] of cases) {
      const result = parseText(`${line}\r\n${base}`);
      assert.ok(result.ok, line);
      assert.equal(result.message.type, 'response');
      if (result.message.type === 'response') {
        assert.equal(result.message.status, status);
        assert.equal(result.message.reason, reason);
      }
    }
  });

  void test('Request-URI variants: domain digits, IP:port, IPv6, parameters, and a tel-less sips', () => {
    const uris = [
      'sip:34020000002000000001@3402000000',
      'sip:34020000002000000001@192.168.6.106:5062',
      'sip:34020000002000000001@3402000000.spvmn.cn',
      'sip:34020000001320000001@[2001:db8::10]:5060;transport=tcp',
      'sips:34020000001320000001@example.com;lr',
      'sip:192.168.1.1',
    ];
    for (const uri of uris) {
      const msg = okRequest(parseText(REGISTER_TEXT.replace('sip:34020000002000000001@3402000000 SIP/2.0', `${uri} SIP/2.0`)));
      assert.equal(msg.uri, uri);
      assert.ok(parseUri(msg.uri), uri);
    }
    const v6 = parseUri('sip:34020000001320000001@[2001:db8::10]:5060;transport=tcp');
    assert.equal(v6?.host, '2001:db8::10');
    assert.equal(v6?.port, 5060);
    assert.equal(v6?.params.get('transport'), 'tcp');
  });
});

void describe('parseSipMessage: bad input', () => {
  void test('malformed start lines are bad-start-line', () => {
    const rest = REGISTER_TEXT.slice(REGISTER_TEXT.indexOf('\r\n'));
    for (const line of [
      'REGISTER',
      'REGISTER sip:a@b',
      'REGISTER sip:a@b SIP/3.0',
      'REGISTER sip:a@b HTTP/1.1',
      'REG<ISTER sip:a@b SIP/2.0',
      'REGISTER nocolon SIP/2.0',
      'SIP/2.0 20 OK',
      'SIP/2.0 2000 OK',
      'SIP/2.0 099 Low',
      'SIP/2.0 700 High',
      'SIP/2.0 2x0 OK',
      'GET / HTTP/1.1',
      'SIP/2.0',
    ]) {
      assert.equal(errorCode(parseText(line + rest)), 'bad-start-line', line);
    }
  });

  void test('headers without the blank line are truncated, with partial headers for a 400', () => {
    const result = parseText(REGISTER_TEXT.slice(0, -2));
    assert.equal(errorCode(result), 'truncated');
    assert.ok(!result.ok && result.error.partial?.headers.get('cseq') === '1 REGISTER');
  });

  void test('empty input and CRLF-only input are empty', () => {
    assert.equal(errorCode(parseSipMessage(Buffer.alloc(0))), 'empty');
    assert.equal(errorCode(parseText('\r\n\r\n')), 'empty');
  });

  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    void test(`a request without ${name} is missing-header with the other headers in partial`, () => {
      const text = REGISTER_TEXT.split('\r\n').filter((l) => !l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).join('\r\n');
      const result = parseText(text);
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'missing-header');
      assert.equal(result.error.partial?.method, 'REGISTER');
      assert.equal(result.error.partial?.headers.has(name), false);
      assert.equal(result.error.partial?.headers.get('expires'), '3600');
    });
  }

  void test('a CSeq whose method differs from the request method is bad-header', () => {
    const result = parseText(REGISTER_TEXT.replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
    assert.equal(errorCode(result), 'bad-header');
    assert.ok(!result.ok && result.error.partial?.headers.has('via'));
    assert.equal(errorCode(parseText(REGISTER_TEXT.replace('CSeq: 1 REGISTER', 'CSeq: x REGISTER'))), 'bad-header');
    assert.equal(errorCode(parseText(REGISTER_TEXT.replace('CSeq: 1 REGISTER', 'CSeq: 99999999999 REGISTER'))), 'bad-header');
  });

  void test('a header line without a colon is bad-header, still with partial headers', () => {
    const result = parseText(REGISTER_TEXT.replace('Expires: 3600', 'Expires 3600'));
    assert.equal(errorCode(result), 'bad-header');
    assert.ok(!result.ok && result.error.partial?.headers.get('call-id') === '1881196343@192.168.1.64');
  });

  void test('a lying Content-Length: larger is truncated, negative or non-numeric is bad-content-length', () => {
    assert.equal(errorCode(parseText(KEEPALIVE_TEXT.replace(/Content-Length: \d+/, 'Content-Length: 165'))), 'truncated');
    assert.equal(errorCode(parseText(KEEPALIVE_TEXT.replace(/Content-Length: \d+/, 'Content-Length: 99999999'))), 'truncated');
    for (const bad of ['-1', 'abc', '12abc', '', '1 2', '0x10', '9999999999999']) {
      assert.equal(errorCode(parseText(KEEPALIVE_TEXT.replace(/Content-Length: \d+/, `Content-Length: ${bad}`))), 'bad-content-length', bad);
    }
    const twice = KEEPALIVE_TEXT.replace('Content-Length:', 'Content-Length: 3\r\nContent-Length:');
    assert.equal(errorCode(parseText(twice)), 'bad-content-length');
  });

  void test('a message above maxSize is too-large; the limit is configurable', () => {
    assert.equal(errorCode(parseSipMessage(Buffer.alloc(65536, 0x41))), 'too-large');
    assert.equal(errorCode(parseText(KEEPALIVE_TEXT, 100)), 'too-large');
    assert.ok(parseText(KEEPALIVE_TEXT, KEEPALIVE_TEXT.length).ok);
  });

  void test('a response without its mandatory headers is missing-header without partial', () => {
    const result = parseText('SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n');
    assert.equal(errorCode(result), 'missing-header');
    assert.ok(!result.ok && result.error.partial === undefined);
  });

  void test('a real message cut at every byte offset never throws and yields a valid result', () => {
    const full = Buffer.from(KEEPALIVE_TEXT);
    let ok = 0;
    for (let n = 0; n <= full.length; n++) {
      const result = parseSipMessage(full.subarray(0, n));
      if (result.ok) ok++;
      else assert.ok(typeof result.error.code === 'string' && typeof result.error.message === 'string');
    }
    assert.equal(ok, 1, 'only the whole message parses');
  });
});
