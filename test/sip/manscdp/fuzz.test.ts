import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  decodeXmlBody,
  guessGbVersion,
  parseManscdp,
  parseXml,
  readCatalogResponse,
  readDeviceInfoResponse,
  readDeviceStatusResponse,
  readKeepalive,
  toChannelUpdate,
} from '../../../src/sip/manscdp';
import { manscdpTraceBodies } from './real-traces';
import { pick, randomBelow, seededRandom as prng } from '../../helpers/random';

const SEEDS: Buffer[] = [
  ...manscdpTraceBodies().map((t) => t.body),
  iconv.encode(
    '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Catalog</CmdType>\n<SN>5</SN>\n<DeviceID>34020000001180000001</DeviceID>\n' +
      '<SumNum>2</SumNum>\n<DeviceList Num="2">\n<Item><DeviceID>34020000001310000001</DeviceID><Event>ADD</Event><Name>坣头&amp;镇</Name>' +
      '<Longitude>117.1</Longitude><Latitude>31.2</Latitude><Info><PTZType>1</PTZType></Info></Item>\n' +
      '<Item><DeviceID>11010100002160000002</DeviceID><Name><![CDATA[虚拟<组织>]]></Name><BusinessGroupID>11010100002150000001</BusinessGroupID></Item>\n' +
      '</DeviceList>\n</Notify>\n',
    'gb18030',
  ),
  Buffer.from(
    '<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001180000001</DeviceID><Status>OK</Status>' +
      '<Info><DeviceID>34020000001310000003</DeviceID></Info></Notify>',
  ),
];

const FRAGMENTS = [
  '<', '>', '/>', '</', '&', '&amp;', '&#x', '&#65;', ';', '"', "'", '=', '<!--', '-->', '<![CDATA[', ']]>',
  '<!DOCTYPE a>', '<!ENTITY x "y">', '<?xml version="1.0" encoding="GBK"?>', '<?', '?>', '\0', '\uFFFD',
  '<Item>', '</Item>', '<DeviceList Num="9">', '<SumNum>', 'null', ' ', '\n', '\r\n', '<Alarmstatus>', 'encoding="',
];

function mutate(rand: () => number, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + randomBelow(rand, 4);
  for (let r = 0; r < rounds; r++) {
    const at = randomBelow(rand, b.length + 1);
    switch (randomBelow(rand, 7)) {
      case 0: // truncate
        b = b.subarray(0, at);
        break;
      case 1: // flip bytes
        for (let i = 0; i < 1 + randomBelow(rand, 8) && b.length > 0; i++) b[randomBelow(rand, b.length)] = randomBelow(rand, 256);
        break;
      case 2: // insert a markup fragment
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(rand, FRAGMENTS)), b.subarray(at)]);
        break;
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + randomBelow(rand, 64))]);
        break;
      case 4: // duplicate a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + randomBelow(rand, 200)), b.subarray(at)]);
        break;
      case 5: // random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: randomBelow(rand, 16) }, () => randomBelow(rand, 256))), b.subarray(at)]);
        break;
      default: // splice with another seed
        b = Buffer.concat([b.subarray(0, at), pick(rand, SEEDS).subarray(randomBelow(rand, 300))]);
    }
  }
  return b;
}

const VALUES = ['', 'null', ' 12 ', '-1', 'abc', '0.0', '坣', '1e999', '99999999999999999999', 'ONLINE', 'off', '&amp;', '&#0;', '3.5.1'];

/** Replaces the text of one element with an odd value and re-encodes: keeps the document well-formed. */
const SEED_TEXTS = new Map<Buffer, string>();

function mutateValue(rand: () => number, input: Buffer): Buffer {
  let text = SEED_TEXTS.get(input);
  if (text === undefined) {
    text = decodeXmlBody(input).text;
    SEED_TEXTS.set(input, text);
  }
  const values = [...text.matchAll(/>([^<>]*)</g)];
  const m = values.length > 0 ? pick(rand, values) : undefined;
  const at = m?.index ?? 0;
  const replaced = m ? text.slice(0, at + 1) + pick(rand, VALUES) + text.slice(at + m[0].length - 1) : text;
  return iconv.encode(replaced, pick(rand, ['gb18030', 'gbk', 'utf8']));
}

function randomBody(rand: () => number): Buffer {
  if (rand() < 0.3) return mutateValue(rand, pick(rand, SEEDS));
  if (rand() < 0.15) return Buffer.from(Array.from({ length: randomBelow(rand, 400) }, () => randomBelow(rand, 256)));
  if (rand() < 0.15) return Buffer.from(Array.from({ length: 1 + randomBelow(rand, 40) }, () => pick(rand, FRAGMENTS)).join(''));
  return mutate(rand, pick(rand, SEEDS));
}

void describe('fuzzing the MANSCDP parser', () => {
  void test('6,000 random, mutated and truncated bodies never throw and give sane results', () => {
    const rand = prng(0x28181);
    let ok = 0;
    for (let i = 0; i < 6000; i++) {
      const body = randomBody(rand);
      const preferred = rand() < 0.2 ? pick(rand, ['GB2312', 'UTF-8', 'GBK', 'nonsense', null]) : undefined;
      const r = parseManscdp(body, preferred);
      if (!r.ok) {
        assert.equal(typeof r.error, 'string', `case ${i}`);
        assert.ok(r.error.length > 0, `case ${i}`);
        continue;
      }
      ok++;
      const doc = r.value;
      assert.ok(['Query', 'Control', 'Notify', 'Response'].includes(doc.root), `case ${i}`);
      assert.ok(doc.cmdType.length > 0, `case ${i}`);
      assert.ok(doc.sn === null || (Number.isSafeInteger(doc.sn) && doc.sn >= 0), `case ${i}`);
      readKeepalive(doc);
      readDeviceInfoResponse(doc);
      readDeviceStatusResponse(doc);
      guessGbVersion({ documents: [doc] });
      const catalog = readCatalogResponse(doc);
      if (catalog) {
        assert.ok(Number.isSafeInteger(catalog.sumNum) && catalog.sumNum >= 0, `case ${i}`);
        for (const item of catalog.items) {
          const u = toChannelUpdate(item);
          assert.ok(u.channelId.length > 0, `case ${i}`);
          assert.ok(['ON', 'OFF', 'UNKNOWN'].includes(u.status), `case ${i}`);
          assert.ok(u.port === null || (u.port >= 0 && u.port <= 65535), `case ${i}`);
        }
      }
    }
    // The mutations must leave enough documents intact to exercise the readers too.
    assert.ok(ok > 600, `only ${ok} bodies parsed`);
  });

  void test('the charset decoder and the XML parser are total on raw random input', () => {
    const rand = prng(7);
    for (let i = 0; i < 2000; i++) {
      const body = randomBody(rand);
      const decoded = decodeXmlBody(body, rand() < 0.3 ? 'GB2312' : null);
      assert.equal(typeof decoded.text, 'string');
      const text = rand() < 0.5 ? decoded.text : body.toString('latin1');
      const r = parseXml(text.slice(0, randomBelow(rand, text.length + 1)), { maxDepth: 8, maxElements: 50 });
      assert.equal(typeof r.ok, 'boolean');
    }
  });
});
