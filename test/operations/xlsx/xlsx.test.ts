import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { settlementCsv, settlementXlsx } from '../../../src/operations/accounting/settlement-files';
import type { SettlementReport } from '../../../src/operations/accounting/settlement';
import { parseCsv } from '../../../src/operations/csv/csv';
import { columnName, writeXlsx } from '../../../src/operations/xlsx/xlsx';
import { crc32, writeZip } from '../../../src/operations/xlsx/zip';

/** A zip reader written from the format (central directory first), independent of the writer. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central header signature');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50, 'local header signature');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + compressed);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    assert.equal(data.length, size, `${name} size`);
    assert.equal(crc32(data), crc, `${name} CRC`);
    out.set(name, data);
    at += 46 + nameLength + extra + comment;
  }
  return out;
}

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;
const hasPython = spawnSync('python3', ['-c', 'import zipfile, xml.etree.ElementTree']).status === 0;

const report: SettlementReport = {
  month: '2026-10',
  timezone: 'Asia/Shanghai',
  from: Date.UTC(2026, 8, 30, 16),
  to: Date.UTC(2026, 9, 31, 16),
  complete: true,
  rules: { pricePerSet: 350, threshold: 0.93, deductionPerPoint: 5, deductionUnit: 'percent', floor: 0 },
  lines: [
    {
      buildingId: 'B00001',
      name: '1号楼 <东>, "A" & B',
      street: '福田街道',
      community: '莲花社区',
      state: 'active',
      devices: 3,
      onlineMs: 3_600_000 * 700,
      countedMs: 3_600_000 * 744,
      excludedMs: 0,
      onlineRate: 700 / 744,
      thresholdMet: true,
      serviceShare: 1,
      pointsBelow: 0,
      baseRent: 350,
      deduction: 0,
      rentDue: 350,
      exclusions: [{ kind: 'maintenance', buildingId: 'B00001', deviceId: '44030400001320000011', windowId: 'w', reason: '更换', from: 0, to: 3_600_000 }],
    },
  ],
  totals: { buildings: 1, buildingsRated: 1, buildingsBelowThreshold: 0, devices: 3, onlineRate: 700 / 744, baseRent: 350, deduction: 0, rentDue: 350 },
};

describe('zip and XLSX writers', () => {
  test('CRC-32 matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });

  test('a zip of deflated and stored entries reads back byte for byte', () => {
    const big = Buffer.from('楼栋 settlement '.repeat(5000), 'utf8');
    const tiny = Buffer.from('x');
    const random = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251));
    const zip = writeZip([
      { name: 'a/big.txt', data: big },
      { name: 'tiny', data: tiny },
      { name: '随机.bin', data: random },
    ]);
    const entries = readZip(zip);
    assert.deepEqual([...entries.keys()], ['a/big.txt', 'tiny', '随机.bin']);
    assert.deepEqual(entries.get('a/big.txt'), big);
    assert.deepEqual(entries.get('tiny'), tiny);
    assert.deepEqual(entries.get('随机.bin'), random);
    assert.ok(zip.length < big.length / 10, 'the repetitive entry is deflated');
  });

  test('column names run A..Z, AA..', () => {
    assert.deepEqual([0, 25, 26, 27, 51, 52, 701, 702].map(columnName), ['A', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
  });

  test('the settlement workbook has its parts, escaped text and numeric cells', () => {
    const entries = readZip(settlementXlsx(report));
    for (const part of ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml', 'xl/worksheets/sheet3.xml']) {
      assert.ok(entries.has(part), part);
    }
    const sheet = entries.get('xl/worksheets/sheet1.xml')?.toString('utf8') ?? '';
    assert.match(sheet, /<c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">buildingId<\/t><\/is><\/c>/);
    assert.match(sheet, /1号楼 &lt;东&gt;, &quot;A&quot; &amp; B/);
    assert.match(sheet, new RegExp(`<c r="J2" s="2"><v>${700 / 744}</v></c>`));
    assert.match(sheet, /<c r="P2" s="3"><v>350<\/v><\/c>/);
    assert.match(entries.get('xl/workbook.xml')?.toString('utf8') ?? '', /<sheet name="Settlement 2026-10" sheetId="1" r:id="rId1"\/>/);
  });

  test('unzip accepts the workbook and python reads the cells back', { skip: !hasUnzip && !hasPython ? 'neither unzip nor python3 available' : false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gbvms-xlsx-'));
    try {
      const file = join(dir, 'settlement.xlsx');
      writeFileSync(file, writeXlsx([{ name: 'S', rows: [['名称', 'n'], ['福田', 3.25], [null, { value: 0.5, style: 'percent' }]] }]));
      if (hasUnzip) {
        assert.match(execFileSync('unzip', ['-t', file]).toString(), /No errors detected/);
        assert.match(execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString('utf8'), /福田/);
      }
      if (hasPython) {
        const script = [
          'import sys, zipfile, xml.etree.ElementTree as ET',
          "ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}",
          'z = zipfile.ZipFile(sys.argv[1])',
          "assert z.testzip() is None",
          "root = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))",
          'out = []',
          "for c in root.iter('{%s}c' % ns['m']):",
          "    t = c.find('m:is/m:t', ns); v = c.find('m:v', ns)",
          "    out.append(c.get('r') + '=' + (t.text if t is not None else v.text))",
          "sys.stdout.buffer.write(';'.join(out).encode('utf-8'))",
        ].join('\n');
        const cells = execFileSync('python3', ['-c', script, file]).toString('utf8');
        assert.equal(cells, 'A1=名称;B1=n;A2=福田;B2=3.25;B3=0.5');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('names a spreadsheet would run as formulas are made inert in the CSV, not in the workbook', () => {
    const line = report.lines[0];
    assert.ok(line);
    const hostile: SettlementReport = { ...report, lines: [{ ...line, name: '=HYPERLINK("http://x","y")', street: '+1', community: '@SUM(A1)' }] };
    const fields = parseCsv(settlementCsv(hostile))[1]?.fields;
    assert.deepEqual(fields?.slice(1, 4), ['\'=HYPERLINK("http://x","y")', "'+1", "'@SUM(A1)"]);
    const sheet = readZip(settlementXlsx(hostile)).get('xl/worksheets/sheet1.xml')?.toString('utf8') ?? '';
    assert.match(sheet, /<t xml:space="preserve">=HYPERLINK\(&quot;http:\/\/x&quot;,&quot;y&quot;\)<\/t>/);
    assert.doesNotMatch(sheet, /<f>/);
  });

  test('the settlement CSV has a row per building and a total, amounts to the fen', () => {
    const records = parseCsv(settlementCsv(report));
    assert.equal(records.length, 3);
    assert.equal(records[0]?.fields?.[15], 'rentDue');
    assert.deepEqual(records[1]?.fields?.slice(0, 2), ['B00001', '1号楼 <东>, "A" & B']);
    assert.equal(records[1]?.fields?.[9], '94.086');
    assert.equal(records[1]?.fields?.[15], '350.00');
    assert.deepEqual(records[2]?.fields?.slice(0, 2), ['TOTAL', '2026-10']);
  });
});
