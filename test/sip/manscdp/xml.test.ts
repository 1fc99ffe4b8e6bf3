import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attribute,
  buildXml,
  child,
  childrenNamed,
  childText,
  parseXml,
  type XmlElement,
} from '../../../src/sip/manscdp/xml';

function parsed(text: string): XmlElement {
  const r = parseXml(text);
  if (!r.ok) assert.fail(`expected a parse, got: ${r.error}`);
  return r.root;
}

function rejected(text: string, pattern: RegExp): void {
  const r = parseXml(text);
  assert.equal(r.ok, false, 'expected a parse error');
  if (!r.ok) assert.match(r.error, pattern);
}

void describe('parsing MANSCDP XML', () => {
  void test('a declaration, comments, CDATA, entities and character references parse', () => {
    const root = parsed(
      '<?xml version="1.0" encoding="GB2312" standalone="yes"?>\n<!-- head -->\n<Notify>\n' +
        '  <!-- inside -->\n  <Name>A &amp; B &lt;1&gt; &quot;q&quot; &apos;s&apos; &#20013;&#x6587;</Name>\n' +
        '  <Info><![CDATA[<raw> & stuff]]></Info>\n</Notify>\n<!-- tail -->\n',
    );
    assert.equal(root.name, 'Notify');
    assert.equal(childText(root, 'Name'), 'A & B <1> "q" \'s\' 中文');
    assert.equal(childText(root, 'Info'), '<raw> & stuff');
  });

  void test('attributes in single or double quotes, with spaces around =, are read', () => {
    const root = parsed(`<DeviceList Num = "2" kind='a &amp; b'><Item/><Item></Item></DeviceList>`);
    assert.equal(root.attrs['Num'], '2');
    assert.equal(root.attrs['kind'], 'a & b');
    assert.equal(attribute(root, 'num'), '2');
    assert.equal(attribute(root, 'missing'), null);
    assert.equal(childrenNamed(root, 'item').length, 2);
  });

  void test('a whole document on one line parses', () => {
    const root = parsed('<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>');
    assert.equal(childText(root, 'CmdType'), 'Keepalive');
    assert.equal(childText(root, 'SN'), '1');
  });

  void test('element lookup ignores case (devices send <Alarmstatus>)', () => {
    const root = parsed('<Response><Alarmstatus Num="0"></Alarmstatus><deviceid>1</deviceid></Response>');
    assert.equal(child(root, 'AlarmStatus')?.name, 'Alarmstatus');
    assert.equal(childText(root, 'DeviceID'), '1');
  });

  void test('childText is null for missing, empty, whitespace-only and literal null values', () => {
    const root = parsed('<a><e></e><s>   </s><n>null</n><N> NULL </N><v> 42 </v><self/></a>');
    assert.equal(childText(root, 'missing'), null);
    assert.equal(childText(root, 'e'), null);
    assert.equal(childText(root, 's'), null);
    assert.equal(childText(root, 'n'), null);
    assert.equal(childText(root, 'self'), null);
    assert.equal(childText(root, 'v'), '42');
  });

  void test('an end tag in another case closes the element; a bare & stays literal', () => {
    const root = parsed(
      '<Response><AlarmStatus>x</Alarmstatus><Name>R&D &nbsp; &#0; &#xD800; &constructor; &toString; &__proto__;</Name></Response>',
    );
    assert.equal(childText(root, 'alarmstatus'), 'x');
    assert.equal(childText(root, 'Name'), 'R&D &nbsp; &#0; &#xD800; &constructor; &toString; &__proto__;');
  });

  void test('NULs and whitespace after the root (C string terminators) are ignored', () => {
    assert.equal(parsed('<a>1</a>\n\0\0').name, 'a');
    assert.equal(parsed('\uFEFF  \n<a/>').name, 'a');
  });

  void test('an attribute named __proto__ is an own property, not a prototype change', () => {
    const root = parsed('<a __proto__="x" constructor="y"/>');
    assert.equal(Object.getPrototypeOf(root.attrs), null);
    assert.equal(root.attrs['__proto__'], 'x');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  void test('invalid documents give an error with a position, never an exception', () => {
    rejected('', /no root element/);
    rejected('   ', /no root element/);
    rejected('hello', /text before the root/);
    rejected('<a><b></a>', /does not match/);
    rejected('<a>', /not closed/);
    rejected('<a', /unterminated start tag/);
    rejected('<a b=1/>', /must be quoted/);
    rejected('<a b="1"c="2"/>', /unexpected character/);
    rejected('<a b/>', /has no value/);
    rejected('<a/><b/>', /content after the root/);
    rejected('<a><!-- never closed </a>', /unterminated comment/);
    rejected('<a><![CDATA[ open </a>', /unterminated CDATA/);
    rejected('<a></ a>', /malformed end tag|does not match/);
    rejected('<>', /expected an element name/);
    rejected('<a>\n<b>\n</c>\n</a>', /line 3/);
  });
});

void describe('hostile XML', () => {
  void test('a billion-laughs document is refused at its DOCTYPE, quickly', () => {
    let entities = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [${entities}]><Notify>&lol9;</Notify>`;
    const start = process.hrtime.bigint();
    const r = parseXml(bomb);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /DOCTYPE is not allowed/);
    assert.ok(ms < 50, `took ${ms} ms`);
  });

  void test('ENTITY declarations anywhere are refused', () => {
    rejected('<a><!ENTITY x "y"></a>', /markup declarations/);
    rejected('<!ENTITY x "y"><a/>', /markup declarations/);
    rejected('<a><!doctype a></a>', /DOCTYPE/);
  });

  void test('nesting deeper than 32 is refused; 32 levels parse', () => {
    const nest = (n: number): string => '<e>'.repeat(n) + '</e>'.repeat(n);
    assert.equal(parseXml(nest(32)).ok, true);
    rejected(nest(33), /nested deeper than 32/);
    rejected(nest(100_000), /nested deeper than 32/);
  });

  void test('more than 20,000 elements are refused; 20,000 parse', () => {
    const many = (n: number): string => `<r>${'<i/>'.repeat(n - 1)}</r>`;
    const ok = parseXml(many(20_000));
    assert.equal(ok.ok, true);
    if (ok.ok) assert.equal(ok.root.children.length, 19_999);
    rejected(many(20_001), /more than 20000 elements/);
  });

  void test('a document over 1 MiB is refused before parsing; limits can be changed per call', () => {
    const big = `<a>${'x'.repeat(1_048_576)}</a>`;
    rejected(big, /exceeds the limit of 1048576/);
    assert.equal(parseXml(big, { maxLength: 2_000_000 }).ok, true);
    assert.equal(parseXml('<a><b/></a>', { maxDepth: 1 }).ok, false);
    assert.equal(parseXml('<a><b/></a>', { maxElements: 1 }).ok, false);
  });

  void test('a non-string input is an error, not an exception', () => {
    assert.equal(parseXml(undefined as unknown as string).ok, false);
  });
});

void describe('building XML', () => {
  void test('the declaration names the charset, lines end in LF, children are indented', () => {
    const text = buildXml(
      { name: 'Query', children: [{ name: 'CmdType', text: 'Catalog' }, { name: 'SN', text: 7 }, { name: 'Empty' }] },
      'gb2312',
    );
    assert.equal(
      text,
      '<?xml version="1.0" encoding="GB2312"?>\n<Query>\n  <CmdType>Catalog</CmdType>\n  <SN>7</SN>\n  <Empty></Empty>\n</Query>\n',
    );
    assert.ok(!text.includes('\r'));
  });

  void test('text and attributes are escaped and parse back to the same values', () => {
    const name = 'A&B <C> "D" \'E\' \t line\nbreak 坣 \u0001';
    const text = buildXml(
      { name: 'Item', attrs: { Num: '1 & "2"\n' }, children: [{ name: 'Name', text: name }] },
      'UTF-8',
      { indent: '' },
    );
    assert.ok(!text.includes('\u0001'));
    const root = parsed(text);
    assert.equal(root.children[0]?.text, name.replace('\u0001', ''));
    assert.equal(root.attrs['Num'], '1 & "2"\n');
  });

  void test('a parsed element builds back to an equivalent document', () => {
    const source = parsed('<Response><CmdType>Catalog</CmdType><DeviceList Num="1"><Item><DeviceID>1</DeviceID></Item></DeviceList></Response>');
    const again = parsed(buildXml(source, 'GB2312'));
    const strip = (e: XmlElement): unknown => ({
      name: e.name,
      attrs: { ...e.attrs },
      text: e.children.length ? '' : e.text,
      children: e.children.map(strip),
    });
    assert.deepEqual(strip(again), strip(source));
  });
});
