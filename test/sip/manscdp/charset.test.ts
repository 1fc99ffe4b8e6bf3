import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  decodeXmlBody,
  encodeXmlBody,
  isStrictGb2312,
  normalizeCharset,
  readDeclaredEncoding,
  resolveCharset,
  setDeclaredEncoding,
} from '../../../src/sip/manscdp/charset';

function doc(decl: string | null, name: string): string {
  const head = decl === null ? '' : `${decl}\n`;
  return `${head}<Response>\n<CmdType>Catalog</CmdType>\n<Name>${name}</Name>\n</Response>\n`;
}

void describe('charset names', () => {
  void test('labels devices write normalize to canonical names', () => {
    assert.equal(normalizeCharset('gb2312'), 'GB2312');
    assert.equal(normalizeCharset(' GB_2312-80 '), 'GB2312');
    assert.equal(normalizeCharset('gbk'), 'GBK');
    assert.equal(normalizeCharset('CP936'), 'GBK');
    assert.equal(normalizeCharset('gb18030'), 'GB18030');
    assert.equal(normalizeCharset('utf8'), 'UTF-8');
    assert.equal(normalizeCharset('Utf-8'), 'UTF-8');
    assert.equal(normalizeCharset('big5'), 'BIG5');
  });

  void test('an unknown label resolves to null but still normalizes to an upper-case spelling', () => {
    assert.equal(resolveCharset('klingon-8'), null);
    assert.equal(resolveCharset(''), null);
    assert.equal(resolveCharset(null), null);
    for (const codec of ['base64', 'hex', 'UTF-16', 'utf16le', 'UCS-2', 'UTF-32', 'utf-7']) assert.equal(resolveCharset(codec), null, codec);
    assert.equal(normalizeCharset('klingon-8'), 'KLINGON-8');
  });

  void test('the declared encoding is read from the bytes, whatever its case and quotes', () => {
    assert.equal(readDeclaredEncoding(Buffer.from('<?xml version="1.0" encoding="GB2312" ?>\n<a/>')), 'GB2312');
    assert.equal(readDeclaredEncoding(Buffer.from("<?xml version='1.0' encoding='gb2312' standalone='yes'?><a/>")), 'gb2312');
    assert.equal(readDeclaredEncoding(Buffer.from('  <?xml version="1.0"?><a/>')), null);
    assert.equal(readDeclaredEncoding(Buffer.from('<a encoding="UTF-8"/>')), null);
    assert.equal(readDeclaredEncoding(Buffer.from('\uFEFF<?xml version="1.0" encoding="UTF-8"?><a/>')), 'UTF-8');
  });

  void test('strict GB2312 accepts EUC-CN pairs only', () => {
    assert.equal(isStrictGb2312(iconv.encode('北京市abc', 'gb2312')), true);
    assert.equal(isStrictGb2312(iconv.encode('坣', 'gbk')), false);
    assert.equal(isStrictGb2312(Buffer.from([0xb1])), false);
  });
});

void describe('decoding MANSCDP bodies', () => {
  void test('a GB2312 declaration with GB2312 text decodes as GB2312', () => {
    const body = iconv.encode(doc('<?xml version="1.0" encoding="GB2312" ?>', '东城区平台'), 'gb2312');
    const r = decodeXmlBody(body);
    assert.equal(r.charset, 'GB2312');
    assert.equal(r.declared, 'GB2312');
    assert.match(r.text, /<Name>东城区平台<\/Name>/);
  });

  void test('a lower-case gb2312 declaration is honoured', () => {
    const body = iconv.encode(doc('<?xml version="1.0" encoding="gb2312"?>', '通道一'), 'gb2312');
    const r = decodeXmlBody(body);
    assert.equal(r.charset, 'GB2312');
    assert.equal(r.declared, 'gb2312');
    assert.match(r.text, /通道一/);
  });

  void test('a GB2312 declaration with 坣 (GBK/GB18030 bytes) falls back to GB18030 and reads right', () => {
    const body = iconv.encode(doc('<?xml version="1.0" encoding="GB2312"?>', '坣头镇路口'), 'gb18030');
    const r = decodeXmlBody(body);
    assert.equal(r.charset, 'GB18030');
    assert.match(r.text, /<Name>坣头镇路口<\/Name>/);
    assert.ok(!r.text.includes('\uFFFD'));
  });

  void test('a GBK declaration with a four-byte GB18030 character falls back to GB18030', () => {
    const body = iconv.encode(doc('<?xml version="1.0" encoding="GBK"?>', '𠀀号'), 'gb18030');
    const r = decodeXmlBody(body);
    assert.equal(r.charset, 'GB18030');
    assert.match(r.text, /𠀀号/);
  });

  void test('GBK and GB18030 declarations decode their own text', () => {
    const gbk = decodeXmlBody(iconv.encode(doc('<?xml version="1.0" encoding="GBK"?>', '坣'), 'gbk'));
    assert.equal(gbk.charset, 'GBK');
    assert.match(gbk.text, /坣/);
    const gb18030 = decodeXmlBody(iconv.encode(doc('<?xml version="1.0" encoding="GB18030"?>', '𠀀坣'), 'gb18030'));
    assert.equal(gb18030.charset, 'GB18030');
    assert.match(gb18030.text, /𠀀坣/);
  });

  void test('a UTF-8 declaration with UTF-8 text decodes as UTF-8', () => {
    const r = decodeXmlBody(Buffer.from(doc('<?xml version="1.0" encoding="UTF-8"?>', '摄像机'), 'utf8'));
    assert.equal(r.charset, 'UTF-8');
    assert.match(r.text, /摄像机/);
  });

  void test('a UTF-8 declaration with GBK bytes is lossy as UTF-8 and falls back to GB18030', () => {
    const r = decodeXmlBody(iconv.encode(doc('<?xml version="1.0" encoding="UTF-8"?>', '摄像机'), 'gbk'));
    assert.equal(r.charset, 'GB18030');
    assert.match(r.text, /摄像机/);
  });

  void test('a GB2312 declaration over UTF-8 bytes is read as UTF-8', () => {
    const r = decodeXmlBody(Buffer.from(doc('<?xml version="1.0" encoding="GB2312"?>', '球机坣'), 'utf8'));
    assert.equal(r.charset, 'UTF-8');
    assert.match(r.text, /球机坣/);
  });

  void test('without a declaration, valid UTF-8 is UTF-8 and anything else GB18030', () => {
    const utf8 = decodeXmlBody(Buffer.from(doc(null, '门禁'), 'utf8'));
    assert.equal(utf8.charset, 'UTF-8');
    assert.equal(utf8.declared, null);
    assert.match(utf8.text, /门禁/);
    const gb = decodeXmlBody(iconv.encode(doc('<?xml version="1.0"?>', '门禁坣'), 'gbk'));
    assert.equal(gb.charset, 'GB18030');
    assert.match(gb.text, /门禁坣/);
  });

  void test('a UTF-8 byte order mark wins over a GB2312 declaration and is not part of the text', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc('<?xml version="1.0" encoding="GB2312"?>', '一'), 'utf8')]);
    const r = decodeXmlBody(body);
    assert.equal(r.charset, 'UTF-8');
    assert.ok(r.text.startsWith('<?xml'));
  });

  void test("a per-device preferred charset overrides a wrong declaration", () => {
    // 一业丝 in GBK (d2bb d2b5 cbbf) is also valid UTF-8, so only configuration can tell.
    const body = iconv.encode(doc('<?xml version="1.0" encoding="UTF-8"?>', '一业丝'), 'gbk');
    const guessed = decodeXmlBody(body);
    assert.equal(guessed.charset, 'UTF-8');
    assert.doesNotMatch(guessed.text, /一业丝/);
    const configured = decodeXmlBody(body, 'gb2312');
    assert.equal(configured.charset, 'GB2312');
    assert.equal(configured.declared, 'UTF-8');
    assert.match(configured.text, /一业丝/);
  });

  void test('a preferred charset that loses characters still falls back to GB18030', () => {
    const body = iconv.encode(doc('<?xml version="1.0" encoding="UTF-8"?>', '坣'), 'gbk');
    const r = decodeXmlBody(body, 'UTF-8');
    assert.equal(r.charset, 'GB18030');
    assert.match(r.text, /坣/);
  });

  void test('an unknown preferred or declared charset is ignored', () => {
    const r = decodeXmlBody(Buffer.from(doc('<?xml version="1.0" encoding="x-nonsense"?>', '甲'), 'utf8'), 'also-nonsense');
    assert.equal(r.charset, 'UTF-8');
    assert.equal(r.declared, 'x-nonsense');
    assert.match(r.text, /甲/);
  });

  void test('an empty body decodes to empty text', () => {
    assert.deepEqual(decodeXmlBody(Buffer.alloc(0)), { text: '', charset: 'UTF-8', declared: null });
  });
});

void describe('encoding our MANSCDP bodies', () => {
  void test('the declaration is rewritten to name the charset we encode with', () => {
    const body = encodeXmlBody('<?xml version="1.0" encoding="UTF-8"?>\n<Query><Name>东城</Name></Query>\n', 'gb2312');
    const text = iconv.decode(body, 'gb2312');
    assert.ok(text.startsWith('<?xml version="1.0" encoding="GB2312"?>\n'));
    assert.match(text, /东城/);
    assert.equal(decodeXmlBody(body).charset, 'GB2312');
  });

  void test('a document without a declaration gets one; one without encoding gets the attribute', () => {
    assert.equal(setDeclaredEncoding('<a/>', 'GBK'), '<?xml version="1.0" encoding="GBK"?>\n<a/>');
    assert.equal(setDeclaredEncoding('<?xml version="1.0"?>\n<a/>', 'GBK'), '<?xml version="1.0" encoding="GBK"?>\n<a/>');
    assert.equal(
      setDeclaredEncoding("<?xml version='1.0' encoding='UTF-8' standalone='yes'?><a/>", 'GB2312'),
      "<?xml version='1.0' encoding=\"GB2312\" standalone='yes'?><a/>",
    );
  });

  void test('characters GB2312 cannot carry become character references, which decode back', () => {
    const body = encodeXmlBody('<Item><Name>坣头 €</Name></Item>', 'GB2312');
    assert.equal(isStrictGb2312(body), true);
    const text = iconv.decode(body, 'gb2312');
    assert.match(text, /<Name>&#x5763;头 &#x20AC;<\/Name>/);
  });

  void test('GBK and GB18030 carry 坣 as bytes; UTF-8 as UTF-8', () => {
    assert.ok(encodeXmlBody('<a>坣</a>', 'GBK').includes(Buffer.from([0x88, 0x6e])));
    assert.ok(encodeXmlBody('<a>𠀀</a>', 'GB18030').includes(Buffer.from([0x95, 0x32, 0x82, 0x36])));
    const utf8 = encodeXmlBody('<a>坣</a>', 'utf-8');
    assert.ok(utf8.toString('utf8').startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
    assert.ok(utf8.toString('utf8').includes('坣'));
  });

  void test('an unknown charset encodes as GB2312 and says so', () => {
    const body = encodeXmlBody('<a>北</a>', 'klingon');
    assert.ok(body.toString('latin1').startsWith('<?xml version="1.0" encoding="GB2312"?>'));
    assert.equal(iconv.decode(body, 'gb2312').includes('北'), true);
  });
});
