import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildingService } from '../../../src/operations/buildings/building-service';
import { BUILDING_CSV_COLUMNS } from '../../../src/operations/buildings/csv-format';
import { writeCsv } from '../../../src/operations/csv/csv';
import { buildingInput, deviceIdOf, openDistrict, type District } from '../accounting/fixtures';

const HEADER: string[] = [...BUILDING_CSV_COLUMNS];

function row(n: number, overrides: Partial<Record<(typeof BUILDING_CSV_COLUMNS)[number], string>> = {}): string[] {
  const b = buildingInput(n);
  const values: Record<string, string> = {
    buildingId: b.buildingId,
    name: b.name ?? '',
    address: b.address,
    street: b.street,
    community: b.community,
    civilCode: b.civilCode ?? '',
    longitude: '114.0579',
    latitude: '22.5431',
    state: 'active',
    line: b.line ?? '',
    doorDeviceId: deviceIdOf(n, 0),
    cameraDeviceIds: `${deviceIdOf(n, 1)};${deviceIdOf(n, 2)}`,
    stateSince: '',
    ...overrides,
  };
  return HEADER.map((c) => values[c] ?? '');
}

describe('building import and export', () => {
  let district: District;
  let service: BuildingService;
  before(async () => {
    district = await openDistrict();
    service = new BuildingService(district.buildings, () => Date.UTC(2026, 10, 1));
    await district.buildings.createBuilding(buildingInput(900), 1);
  });
  after(async () => {
    await district.close();
  });

  const count = async () => (await district.buildings.listBuildings({ offset: 0, limit: 1 })).total;

  test('a file with bad rows is refused whole, with every row’s problems named, and nothing is written', async () => {
    const text =
      writeCsv([
        HEADER,
        row(1),
        row(2, { doorDeviceId: '3402000000132000001' }), // 19 digits
        row(1, { name: 'again' }), // duplicate building ID in the file
        row(4, { cameraDeviceIds: `${deviceIdOf(1, 1)};${deviceIdOf(4, 2)}` }), // device of row 1
        row(5, { doorDeviceId: deviceIdOf(900, 0) }), // device of a stored building
        row(6, { address: '', street: '' }), // missing fields
        row(7, { state: 'demolished', longitude: '300' }),
        row(900), // exists, mode insert
        row(8, { cameraDeviceIds: '34020000002000000001' }), // a platform ID is not a device
      ]) + '9,"unterminated\r\n';
    const report = await service.importCsv(text, { mode: 'insert', dryRun: false });
    assert.equal(report.ok, false);
    assert.equal(report.created, 0);
    const byRow = new Map(report.errors.map((e) => [e.row, e]));
    assert.deepEqual([...byRow.keys()], [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.match(byRow.get(2)?.errors.join() ?? '', /not a 20-digit/);
    assert.equal(byRow.get(2)?.line, 3);
    assert.match(byRow.get(3)?.errors.join() ?? '', /building B00001 is also on row 1/);
    assert.match(byRow.get(4)?.errors.join() ?? '', /device 44030400001320000011 is also in building B00001 on row 1/);
    assert.match(byRow.get(5)?.errors.join() ?? '', /belongs to building B00900/);
    assert.deepEqual(byRow.get(6)?.errors, ['address is missing', 'street is missing']);
    assert.equal(byRow.get(7)?.errors.length, 2);
    assert.match(byRow.get(8)?.errors.join() ?? '', /exists \(import with mode=upsert/);
    assert.match(byRow.get(9)?.errors.join() ?? '', /type 200/);
    assert.match(byRow.get(10)?.errors.join() ?? '', /unterminated/);
    assert.equal(await count(), 1, 'nothing of the good row 1 was written');
  });

  test('a dry run checks a good file and writes nothing; the real run writes it', async () => {
    const text = writeCsv([HEADER, row(1), row(2, { cameraDeviceIds: '' }), row(3, { state: 'removed', stateSince: '2026-10-16T00:00:00+08:00' })]);
    const dry = await service.importCsv(text, { mode: 'insert', dryRun: true });
    assert.deepEqual([dry.ok, dry.created, dry.errors], [true, 3, []]);
    assert.equal(await count(), 1);
    const real = await service.importCsv(text, { mode: 'insert', dryRun: false });
    assert.deepEqual([real.ok, real.created, real.updated], [true, 3, 0]);
    const b3 = await service.get('B00003');
    assert.equal(b3.state, 'removed');
    assert.equal(b3.stateSince, Date.UTC(2026, 9, 15, 16));
    assert.equal((await service.get('B00002')).devices.length, 1);
    assert.equal((await service.ofDevice(deviceIdOf(1, 2))).buildingId, 'B00001');
  });

  test('mode=upsert replaces known buildings and lets devices move between rows of the file', async () => {
    const text = writeCsv([HEADER, row(1, { doorDeviceId: deviceIdOf(2, 0) }), row(2, { doorDeviceId: deviceIdOf(1, 0), name: '二号楼' })]);
    assert.equal((await service.importCsv(text, { mode: 'insert', dryRun: true })).ok, false);
    const report = await service.importCsv(text, { mode: 'upsert', dryRun: false });
    assert.deepEqual([report.ok, report.created, report.updated], [true, 0, 2]);
    assert.equal((await service.ofDevice(deviceIdOf(1, 0))).buildingId, 'B00002');
    assert.equal((await service.get('B00002')).name, '二号楼');
  });

  test('a bad header refuses the file before any row', async () => {
    assert.match((await service.importCsv('buildingId,adress\r\nB1,x\r\n', { mode: 'insert', dryRun: true })).fileError ?? '', /unknown column "adress"/);
    assert.match((await service.importCsv('buildingId,name\r\n', { mode: 'insert', dryRun: true })).fileError ?? '', /lacks the required column\(s\) address, street, community/);
    assert.match((await service.importCsv('', { mode: 'insert', dryRun: true })).fileError ?? '', /empty/);
    const short = await service.importCsv(`${HEADER.join(',')}\r\nB1,x\r\n`, { mode: 'insert', dryRun: true });
    assert.match(short.errors[0]?.errors[0] ?? '', /2 fields where the header has 13/);
  });

  test('a JSON array imports like the CSV, with per-element errors', async () => {
    const bad = await service.importJson([{ ...buildingInput(40) }, 'nope', { ...buildingInput(41), devices: [{ deviceId: deviceIdOf(1, 1), role: 'camera' }] }], { mode: 'insert', dryRun: false });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.errors.map((e) => e.row),
      [2, 3],
    );
    assert.equal(bad.errors[0]?.line, undefined);
    const good = await service.importJson([buildingInput(40), buildingInput(41)], { mode: 'insert', dryRun: false });
    assert.deepEqual([good.ok, good.created], [true, 2]);
    assert.equal((await service.importJson({}, { mode: 'insert', dryRun: true })).fileError, 'a JSON import is an array of buildings');
  });

  test('fuzz: mutated CSV files never throw and every bad row is reported, never written', async () => {
    let seed = 4403;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const base = writeCsv([HEADER, row(500), row(501, { name: '五〇一, "东"' }), row(502)]);
    const pieces = ['"', ',', '\r\n', ';', '9', 'x', '楼', ''];
    const known = new Set((await district.buildings.allBuildings()).map((b) => b.buildingId));
    for (let n = 0; n < 400; n += 1) {
      let text = base;
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k += 1) {
        const at = Math.floor(rand() * text.length);
        text = text.slice(0, at) + (pieces[Math.floor(rand() * pieces.length)] ?? '') + text.slice(at + Math.floor(rand() * 3));
      }
      const report = await service.importCsv(text, { mode: 'insert', dryRun: n % 2 === 0 });
      assert.equal(typeof report.ok, 'boolean');
      if (!report.ok) assert.ok(report.errors.length > 0 || report.fileError !== undefined, `a refused file says why (case ${n})`);
      const now = (await district.buildings.allBuildings()).map((b) => b.buildingId);
      const added = now.filter((id) => !known.has(id));
      if (!report.ok || n % 2 === 0) assert.deepEqual(added, [], `case ${n} (refused or dry run) wrote nothing`);
      else assert.equal(added.length, report.created, `case ${n} wrote what it reports`);
      // A mutation that still reads as good buildings was imported: take it out again.
      for (const id of added) await district.buildings.deleteBuilding(id);
    }
  });

  test('10,000 rows import in one go, and the export reads back into an equal directory', async () => {
    const rows = [HEADER];
    for (let n = 1000; n < 11000; n += 1) rows.push(row(n, { name: `${n}号楼, "东"`, address: `深圳市福田区\r\n莲花路${n}号` }));
    const text = writeCsv(rows);
    // CPU time, not wall time: test files run side by side on two cores.
    const cpu = process.cpuUsage();
    const report = await service.importCsv(text, { mode: 'insert', dryRun: false });
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    assert.deepEqual([report.ok, report.created, report.errors.length], [true, 10000, 0]);
    assert.ok(ms < 5000, `10,000-row import took ${ms.toFixed(0)} ms of CPU`);
    const exported = await service.exportCsv();
    const copy = await openDistrict();
    try {
      const again = await new BuildingService(copy.buildings).importCsv(exported, { mode: 'insert', dryRun: false });
      assert.deepEqual([again.ok, again.created], [true, await count()]);
      const original = await district.buildings.allBuildings();
      const copied = await copy.buildings.allBuildings();
      const comparable = (list: typeof original) => list.map(({ createdAt: _c, updatedAt: _u, stateHistory: _h, ...rest }) => rest);
      assert.deepEqual(comparable(copied), comparable(original));
    } finally {
      await copy.close();
    }
  });
});
