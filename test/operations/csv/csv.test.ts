import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { csvField, parseCsv, writeCsv } from '../../../src/operations/csv/csv';
import { decodeCsvBytes } from '../../../src/operations/csv/decode';
import { seededRandom } from '../../helpers/random';

const prng = seededRandom;

const fieldsOf = (text: string) => parseCsv(text).map((r) => r.fields ?? r.error);

describe('CSV (RFC 4180)', () => {
  test('plain, quoted, escaped-quote and empty fields parse', () => {
    assert.deepEqual(fieldsOf('a,b,c\r\n1,"two, 2","say ""hi"""\r\n,,\r\n'), [
      ['a', 'b', 'c'],
      ['1', 'two, 2', 'say "hi"'],
      ['', '', ''],
    ]);
  });

  test('line breaks inside quotes stay in the field and the next record knows its line', () => {
    const records = parseCsv('id,address\r\n1,"Line one\r\nLine two"\r\n2,x\n3,y\r4,z');
    assert.deepEqual(
      records.map((r) => [r.line, r.fields]),
      [
        [1, ['id', 'address']],
        [2, ['1', 'Line one\r\nLine two']],
        [4, ['2', 'x']],
        [5, ['3', 'y']],
        [6, ['4', 'z']],
      ],
    );
  });

  test('a UTF-8 byte order mark is ignored and Chinese text comes through', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('楼栋,街道\r\n一号楼,"福田街道, 南"\r\n', 'utf8')]);
    const { text, charset } = decodeCsvBytes(bytes);
    assert.equal(charset, 'utf-8');
    assert.deepEqual(fieldsOf(text), [
      ['楼栋', '街道'],
      ['一号楼', '福田街道, 南'],
    ]);
    assert.deepEqual(fieldsOf('\ufeffa,b'), [['a', 'b']]);
  });

  test('a GB18030 file (what spreadsheets on Chinese Windows save) is recognised', () => {
    const { text, charset } = decodeCsvBytes(iconv.encode('楼栋编号,社区\r\nB001,莲花社区\r\n', 'gb18030'));
    assert.equal(charset, 'gb18030');
    assert.deepEqual(fieldsOf(text), [
      ['楼栋编号', '社区'],
      ['B001', '莲花社区'],
    ]);
  });

  test('malformed records are reported with their line and the others are still read', () => {
    const records = parseCsv('a,b\r\n1,"x"y\r\n2,ok\r\n3,bad"quote\r\n4,"open');
    assert.deepEqual(records[0]?.fields, ['a', 'b']);
    assert.equal(records[1]?.line, 2);
    assert.match(records[1]?.error ?? '', /after the closing quote/);
    assert.deepEqual(records[2]?.fields, ['2', 'ok']);
    assert.match(records[3]?.error ?? '', /quote inside unquoted/);
    assert.equal(records[4]?.line, 5);
    assert.match(records[4]?.error ?? '', /unterminated/);
    assert.equal(records.length, 5);
  });

  test('blank lines are skipped; a trailing line break adds no record', () => {
    assert.deepEqual(fieldsOf('a\r\n\r\nb\r\n'), [['a'], ['b']]);
    assert.deepEqual(fieldsOf(''), []);
  });

  test('fields are quoted only when they must be', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "x"'), '"say ""x"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' edge'), '" edge"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(3.5), '3.5');
    assert.equal(writeCsv([['a', 'b']]), '\ufeffa,b\r\n');
    assert.equal(writeCsv([['a']], { bom: false }), 'a\r\n');
  });

  test('fuzz: random tables survive a write and parse round trip', () => {
    const rand = prng(20261126);
    const alphabet = ['a', 'Z', '0', ',', '"', '\r', '\n', ' ', '楼', '号', ';', '\t', 'é', '\u00a0'];
    for (let n = 0; n < 2000; n += 1) {
      const rows: string[][] = [];
      const width = 1 + Math.floor(rand() * 5);
      for (let r = 0; r < 1 + Math.floor(rand() * 6); r += 1) {
        const row: string[] = [];
        for (let c = 0; c < width; c += 1) {
          let v = '';
          for (let k = Math.floor(rand() * 8); k > 0; k -= 1) v += alphabet[Math.floor(rand() * alphabet.length)];
          row.push(v);
        }
        // A record of one empty field is a blank line, which the parser skips by design.
        if (row.length === 1 && row[0] === '') row[0] = 'x';
        rows.push(row);
      }
      const parsed = parseCsv(writeCsv(rows));
      assert.deepEqual(
        parsed.map((p) => p.fields),
        rows,
        `round trip ${n}`,
      );
    }
  });

  test('fuzz: random and mutated input never throws and gives well-formed records', () => {
    const rand = prng(7);
    const seed = writeCsv([
      ['buildingId', 'address', 'cameraDeviceIds'],
      ['B-1', '深圳市福田区 "莲花" 路, 1号', '34020000001320000001;34020000001320000002'],
    ]);
    const pieces = ['"', ',', '\r', '\n', '\r\n', 'x', '""', '楼', '\ufeff'];
    for (let n = 0; n < 5000; n += 1) {
      let text: string;
      if (n % 2 === 0) {
        text = seed;
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k += 1) {
          const at = Math.floor(rand() * (text.length + 1));
          const op = rand();
          if (op < 0.4) text = text.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + text.slice(at);
          else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 5));
          else text = text.slice(0, at);
        }
      } else {
        text = '';
        for (let k = Math.floor(rand() * 40); k > 0; k -= 1) text += pieces[Math.floor(rand() * pieces.length)];
      }
      const records = parseCsv(text);
      let lastLine = 0;
      for (const r of records) {
        assert.ok(Number.isInteger(r.line) && r.line >= 1 && r.line > lastLine, `line numbers grow (case ${n})`);
        lastLine = r.line;
        assert.ok((r.fields !== undefined) !== (r.error !== undefined), `a record is fields or an error (case ${n})`);
        if (r.fields) assert.ok(r.fields.every((f) => typeof f === 'string'));
      }
    }
  });
});
