import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage, parseNameAddr, parseVia, parseCSeq, serializeSipMessage } from '../../../src/sip/message';
import { fixtureHeader, frameFixture, loadFixtures } from './helpers';

const fixtures = loadFixtures();

void describe('real device traces', () => {
  void test('the fixture folder holds the 53 traces', () => {
    assert.equal(fixtures.length, 53);
  });

  for (const f of fixtures) {
    void test(`${f.name} parses with its start line, dialog identifiers and body bytes`, () => {
      const result = parseSipMessage(frameFixture(f));
      assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
      const msg = result.message;
      const startLine = f.headerLines[0] as string;
      if (startLine.startsWith('SIP/2.0')) {
        assert.equal(msg.type, 'response');
        if (msg.type === 'response') {
          assert.equal(msg.status, Number(startLine.split(' ')[1]));
          assert.equal(msg.reason, startLine.split(' ').slice(2).join(' '));
        }
      } else {
        assert.equal(msg.type, 'request');
        if (msg.type === 'request') {
          assert.equal(msg.method, startLine.split(' ')[0]);
          assert.equal(msg.uri, startLine.split(' ')[1]);
        }
      }
      assert.equal(msg.headers.get('call-id'), fixtureHeader(f, 'Call-ID'));
      const cseq = parseCSeq(msg.headers.get('cseq') ?? '');
      const expectedCSeq = (fixtureHeader(f, 'CSeq') as string).split(/\s+/);
      assert.deepEqual(cseq, { seq: Number(expectedCSeq[0]), method: expectedCSeq[1] });

      const from = parseNameAddr(msg.headers.get('from') ?? '');
      assert.ok(from, 'From parses');
      const expectedTag = /;tag=([^;]+)/.exec(fixtureHeader(f, 'From') as string)?.[1];
      assert.equal(from.params.get('tag'), expectedTag);
      assert.ok(expectedTag, 'every trace has a From tag');

      const via = parseVia(msg.headers.get('via') ?? '');
      assert.ok(via, 'Via parses');
      const expectedVia = fixtureHeader(f, 'Via') as string;
      assert.equal(via.params.get('branch'), /branch=([^;]+)/.exec(expectedVia)?.[1]);
      assert.match(via.params.get('branch') ?? '', /^z9hG4bK/);
      const rport = /;rport(=(\d+))?/.exec(expectedVia);
      assert.ok(rport, 'every trace carries rport');
      assert.equal(via.params.get('rport'), rport[2] ?? null);
      assert.equal(via.transport, 'UDP');

      assert.ok(msg.body.equals(f.body), 'body bytes are exactly the trace body');
    });
  }

  void test('the devices own Content-Length values: larger than the body is truncated, smaller cuts the body', () => {
    let larger = 0;
    let exact = 0;
    for (const f of fixtures) {
      const result = parseSipMessage(frameFixture(f, f.originalContentLength));
      if (f.originalContentLength > f.body.length) {
        larger++;
        assert.ok(!result.ok, f.name);
        assert.equal(result.error.code, 'truncated', f.name);
        assert.equal(result.error.partial?.method !== undefined, !(f.headerLines[0] as string).startsWith('SIP/'));
      } else {
        exact++;
        assert.ok(result.ok, f.name);
        assert.ok(result.message.body.equals(f.body.subarray(0, f.originalContentLength)), f.name);
      }
    }
    // The platform's MESSAGEs in the traces count CRLF line endings the write-up turned into LF.
    assert.ok(larger > 5 && exact > 20, `larger ${larger}, exact ${exact}`);
  });

  void test('a trace body one byte longer than its Content-Length keeps exactly Content-Length bytes', () => {
    const f = fixtures.find((x) => x.name.includes('05_dev_MESSAGE_Keepalive')) as (typeof fixtures)[number];
    const result = parseSipMessage(frameFixture(f, f.body.length - 1));
    assert.ok(result.ok);
    assert.equal(result.message.body.length, f.body.length - 1);
  });

  void test('the headers of a trace may use LF only, as some Dahua builds send them', () => {
    for (const f of fixtures) {
      const lf = Buffer.concat([Buffer.from(`${f.headerLines.map((l) => (/^content-length/i.test(l) ? `Content-Length: ${f.body.length}` : l)).join('\n')}\n\n`, 'latin1'), f.body]);
      const result = parseSipMessage(lf);
      assert.ok(result.ok, f.name);
      assert.ok(result.message.body.equals(f.body), f.name);
    }
  });

  void test('every trace survives serialize then parse with the same start line, headers and body', () => {
    for (const f of fixtures) {
      const first = parseSipMessage(frameFixture(f));
      assert.ok(first.ok);
      const again = parseSipMessage(serializeSipMessage(first.message));
      assert.ok(again.ok, f.name);
      assert.deepEqual(again.message.headers.entries(), first.message.headers.entries().map((e) => (e.name === 'content-length' ? { name: e.name, value: String(f.body.length) } : e)));
      assert.ok(again.message.body.equals(f.body));
    }
  });
});
