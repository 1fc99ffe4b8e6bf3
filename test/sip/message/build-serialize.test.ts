import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  createRequest, createResponse, generateBranch, generateCallId, generateTag, parseNameAddr, parseSipMessage,
  reasonPhrase, serializeSipMessage, type SipMessage, type SipRequest,
} from '../../../src/sip/message';
import { REGISTER_TEXT } from './helpers';

function register(): SipRequest {
  const r = parseSipMessage(Buffer.from(REGISTER_TEXT));
  assert.ok(r.ok && r.message.type === 'request');
  return r.message;
}

function comparable(msg: SipMessage): unknown {
  const start = msg.type === 'request' ? { method: msg.method, uri: msg.uri } : { status: msg.status, reason: msg.reason };
  return { type: msg.type, ...start, headers: msg.headers.entries().map((e) => [e.name, e.value]), body: msg.body.toString('hex') };
}

void describe('building and serializing', () => {
  void test('a built MESSAGE with a GB2312 body round-trips through serialize and parse', () => {
    const body = iconv.encode('<?xml version="1.0" encoding="GB2312"?>\n<Query><Name>摄像机</Name></Query>\n', 'gb2312');
    const req = createRequest({
      method: 'MESSAGE',
      uri: 'sip:34020000001320000001@192.168.1.64:5060',
      headers: [
        ['Via', `SIP/2.0/UDP 192.168.1.10:5060;rport;branch=${generateBranch()}`],
        ['From', `<sip:34020000002000000001@3402000000>;tag=${generateTag()}`],
        ['To', '<sip:34020000001320000001@3402000000>'],
        ['Call-ID', generateCallId('192.168.1.10')],
        ['CSeq', '7 MESSAGE'],
        ['Max-Forwards', '70'],
        ['Content-Type', 'Application/MANSCDP+xml'],
      ],
      body,
    });
    const wire = serializeSipMessage(req);
    const text = wire.toString('latin1');
    assert.ok(text.startsWith('MESSAGE sip:34020000001320000001@192.168.1.64:5060 SIP/2.0\r\nVia: SIP/2.0/UDP'));
    assert.ok(text.includes(`\r\nCall-ID: `) && text.includes('\r\nCSeq: 7 MESSAGE\r\n') && text.includes('\r\nMax-Forwards: 70\r\n'));
    assert.ok(text.includes(`\r\nContent-Length: ${body.length}\r\n\r\n`));
    assert.ok(wire.subarray(wire.length - body.length).equals(body), 'the body is appended byte for byte');
    const back = parseSipMessage(wire);
    assert.ok(back.ok);
    const expected = comparable(req) as { headers: string[][] };
    expected.headers.push(['content-length', String(body.length)]);
    assert.deepEqual(comparable(back.message), expected);
  });

  void test('serialize replaces a stale Content-Length in place and removes duplicates', () => {
    const req = register();
    req.body = Buffer.from('abc');
    req.headers.append('Content-Length', '99');
    const text = serializeSipMessage(req).toString();
    assert.equal(text.match(/Content-Length/g)?.length, 1);
    assert.ok(text.endsWith('Content-Length: 3\r\n\r\nabc'));
  });

  void test('a CR or LF inside a header value cannot inject a header line', () => {
    const req = register();
    req.headers.set('Subject', 'a\r\nEvil: 1');
    const back = parseSipMessage(serializeSipMessage(req));
    assert.ok(back.ok);
    assert.equal(back.message.headers.has('evil'), false);
    assert.equal(back.message.headers.get('subject'), 'a Evil: 1');
  });

  void test('a 200 to REGISTER copies Via, From, To with a new tag, Call-ID and CSeq', () => {
    const req = register();
    req.headers.append('Via', 'SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKsecond');
    const res = createResponse(req, 200, undefined, { headers: [['Expires', '3600'], ['Date', '2024-05-17T14:07:33.232']] });
    assert.equal(res.reason, 'OK');
    assert.deepEqual(res.headers.entries().map((e) => e.name), ['via', 'via', 'from', 'to', 'call-id', 'cseq', 'expires', 'date']);
    assert.deepEqual(res.headers.getAll('via'), req.headers.getAll('via'));
    assert.equal(res.headers.get('from'), req.headers.get('from'));
    const toTag = parseNameAddr(res.headers.get('to') ?? '')?.params.get('tag');
    assert.match(toTag ?? '', /^\d+$/);
    assert.equal(res.headers.get('call-id'), req.headers.get('call-id'));
    assert.equal(res.headers.get('cseq'), '1 REGISTER');
    const back = parseSipMessage(serializeSipMessage(res));
    assert.ok(back.ok);
    assert.deepEqual(comparable(back.message), comparable({ ...res, headers: (() => { const h = res.headers.clone(); h.append('content-length', '0'); return h; })() }));
  });

  void test('100 Trying gets no To tag; a given toTag is used; an existing tag is kept', () => {
    const req = register();
    assert.equal(createResponse(req, 100).headers.get('to'), req.headers.get('to'));
    assert.equal(createResponse(req, 100).reason, 'Trying');
    assert.ok(createResponse(req, 180, undefined, { toTag: 'abc' }).headers.get('to')?.endsWith(';tag=abc'));
    req.headers.set('To', '<sip:a@b>;tag=existing');
    assert.equal(createResponse(req, 486, 'Busy').headers.get('to'), '<sip:a@b>;tag=existing');
    assert.equal(createResponse(req, 486, 'Busy').reason, 'Busy');
  });

  void test('default reason phrases for the common codes', () => {
    const expected: Record<number, string> = {
      100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
      404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 415: 'Unsupported Media Type', 423: 'Interval Too Brief',
      480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 486: 'Busy Here',
      487: 'Request Terminated', 488: 'Not Acceptable Here', 500: 'Server Internal Error', 501: 'Not Implemented',
      503: 'Service Unavailable', 504: 'Server Time-out',
    };
    for (const [code, phrase] of Object.entries(expected)) assert.equal(reasonPhrase(Number(code)), phrase);
    assert.equal(reasonPhrase(499), 'Client Error');
  });

  void test('generated branches, tags and Call-IDs are well-formed and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      const b = generateBranch();
      assert.ok(b.startsWith('z9hG4bK') && b.length === 23);
      seen.add(b);
    }
    assert.equal(seen.size, 20000);
    assert.match(generateTag(), /^\d{1,10}$/);
    assert.match(generateCallId('10.0.0.1'), /^[0-9a-f]{24}@10\.0\.0\.1$/);
    assert.match(generateCallId(''), /^[0-9a-f]{24}$/);
  });
});
