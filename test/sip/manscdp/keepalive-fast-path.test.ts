import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { isPlainKeepalive, parseManscdp } from '../../../src/sip/manscdp';
import { manscdpTraceBodies, traceBody } from './real-traces';
import { randomBelow, seededRandom } from '../../helpers/random';

function isKeepaliveByParse(body: Buffer): boolean {
  const parsed = parseManscdp(body, null);
  return parsed.ok && parsed.value.root === 'Notify' && parsed.value.cmdType === 'Keepalive';
}

const STANDARD =
  '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>43</SN>\r\n' +
  '<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n';

void describe('keepalive recognized from its bytes', () => {
  void test('the real devices\' keepalives take the fast path, and nothing else in the traces does', () => {
    assert.equal(isPlainKeepalive(traceBody('05_dev_MESSAGE_Keepalive.sip')), true);
    for (const { file, body } of manscdpTraceBodies()) {
      assert.equal(isPlainKeepalive(body), isKeepaliveByParse(body), file);
    }
  });

  void test('layouts devices send: declaration or none, BOM, one line, odd case, trailing NULs, GB2312 names', () => {
    const accepted = [
      STANDARD,
      '<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>',
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?><Notify>\n  <CmdType> keepalive </CmdType><SN>1</SN></Notify>\n',
      '<?xml version="1.0"?>\n<NOTIFY><CMDTYPE>KeepAlive</CMDTYPE><SN>7</SN></NOTIFY>\0\0',
    ];
    for (const text of accepted) {
      const body = Buffer.from(text, 'utf8');
      assert.equal(isPlainKeepalive(body), true, text);
      assert.equal(isKeepaliveByParse(body), true, `the parser agrees: ${text}`);
    }
    const gb = iconv.encode(STANDARD.replace('<Status>OK</Status>', '<Status>OK</Status><Info><Name>一号楼</Name></Info>'), 'gb2312');
    assert.equal(isPlainKeepalive(gb), true);
  });

  void test('anything else goes to the parser', () => {
    const refused = [
      STANDARD.replace('<Notify>', '<Query>').replace('</Notify>', '</Query>'), // a query, not a notification
      STANDARD.replace('Keepalive', 'Alarm'),
      STANDARD.replace('Keepalive', 'KeepaliveX'),
      STANDARD.replace('</Notify>\r\n', ''), // truncated
      STANDARD.slice(0, 60),
      '<Notify><SN>1</SN><CmdType>Keepalive</CmdType></Notify>', // CmdType not first: the parser decides
      '<!-- hi --><Notify><CmdType>Keepalive</CmdType></Notify>',
      '',
    ];
    for (const text of refused) assert.equal(isPlainKeepalive(Buffer.from(text)), false, JSON.stringify(text));
    // The parser still recognizes the one laid out otherwise, so it is answered as a keepalive.
    assert.equal(isKeepaliveByParse(Buffer.from('<Notify><SN>1</SN><CmdType>Keepalive</CmdType></Notify>')), true);
  });

  void test('fuzz: mutated and random bodies never throw, and never pass for a keepalive the parser reads as something else', () => {
    const random = seededRandom(2811);
    const seed = Buffer.from(STANDARD);
    let recognized = 0;
    for (let i = 0; i < 5000; i++) {
      let body: Buffer;
      if (i % 4 === 0) {
        body = Buffer.alloc(randomBelow(random, 400));
        for (let k = 0; k < body.length; k++) body[k] = randomBelow(random, 256);
      } else {
        body = Buffer.from(seed);
        for (let k = 0, n = 1 + randomBelow(random, 4); k < n; k++) body[randomBelow(random, body.length)] = randomBelow(random, 256);
        if (i % 3 === 0) body = body.subarray(0, randomBelow(random, body.length + 1));
      }
      if (!isPlainKeepalive(body)) continue;
      recognized += 1;
      const parsed = parseManscdp(body, null);
      if (parsed.ok) assert.ok(parsed.value.root === 'Notify' && parsed.value.cmdType === 'Keepalive', body.toString('latin1'));
    }
    assert.ok(recognized > 100, `mutations that leave the keepalive whole are still recognized (${recognized})`);
  });
});
