import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { parseCsv, writeCsv } from '../../src/operations/csv/csv';
import { BUILDING_CSV_COLUMNS } from '../../src/operations/buildings/csv-format';
import { SimDevice } from '../sim/device';
import { PLATFORM_DOMAIN, PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';

const HOUR = 3_600_000;
const OCT = { from: Date.UTC(2026, 8, 30, 16), to: Date.UTC(2026, 9, 31, 16) };
const dev = (n: number, slot: number) => `4403040000${slot === 0 ? '142' : '132'}${String(n * 10 + slot).padStart(7, '0')}`;

function csvRow(n: number, extra: Record<string, string> = {}): string[] {
  const values: Record<string, string> = {
    buildingId: `B${n}`,
    name: `${n}号楼`,
    address: `深圳市福田区莲花路${n}号, 东门`,
    street: '福田街道',
    community: n % 2 === 0 ? '莲花社区' : '景田社区',
    civilCode: '440304',
    longitude: '114.05',
    latitude: '22.54',
    state: 'active',
    line: 'L1',
    doorDeviceId: dev(n, 0),
    cameraDeviceIds: `${dev(n, 1)};${dev(n, 2)}`,
    stateSince: '',
    ...extra,
  };
  return BUILDING_CSV_COLUMNS.map((c) => values[c] ?? '');
}

/** The entries of a zip file, read from its central directory. */
function unzip(zip: Buffer): Map<string, string> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, string>();
  for (let i = zip.readUInt16LE(end + 10); i > 0; i -= 1) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + size);
    out.set(name, (method === 8 ? inflateRawSync(raw) : raw).toString('utf8'));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

describe('district operations API: buildings, maintenance windows, online-rate reports, settlement', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'operations.settlement.deductionPerPoint': 10 });
  });
  after(async () => {
    await server.stop();
  });

  const csv = (text: string, query = '') =>
    server.api(`/api/v1/buildings/import${query}`, { method: 'POST', body: text, headers: { 'content-type': 'text/csv; charset=utf-8' } });

  test('a CSV import with a bad row is answered 422 with the row named, and nothing is imported', async () => {
    const res = await csv(writeCsv([[...BUILDING_CSV_COLUMNS], csvRow(1), csvRow(2, { doorDeviceId: dev(1, 0) })]));
    assert.equal(res.status, 422);
    const report = (await res.json()) as { ok: boolean; errors: Array<{ row: number; line: number; errors: string[] }> };
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.errors.map((e) => [e.row, e.line]),
      [[2, 3]],
    );
    const list = (await (await server.api('/api/v1/buildings')).json()) as { total: number };
    assert.equal(list.total, 0);
  });

  test('a dry run, then the import; buildings are found by filters, ID and device', async () => {
    const text = writeCsv([[...BUILDING_CSV_COLUMNS], csvRow(1), csvRow(2), csvRow(3)]);
    const dry = await csv(text, '?dryRun=true');
    assert.equal(dry.status, 200);
    assert.deepEqual(((await dry.json()) as { created: number; dryRun: boolean }).dryRun, true);
    const res = await csv(text);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { created: number }).created, 3);

    const list = (await (await server.api(`/api/v1/buildings?community=${encodeURIComponent('景田社区')}&limit=1`)).json()) as { total: number; items: Array<{ buildingId: string }>; limit: number };
    assert.deepEqual([list.total, list.items.map((b) => b.buildingId), list.limit], [2, ['B1'], 1]);
    const one = (await (await server.api('/api/v1/buildings/B2')).json()) as { address: string; devices: unknown[] };
    assert.equal(one.address, '深圳市福田区莲花路2号, 东门');
    assert.equal(one.devices.length, 3);
    const byDevice = (await (await server.api(`/api/v1/devices/${dev(3, 2)}/building`)).json()) as { buildingId: string };
    assert.equal(byDevice.buildingId, 'B3');
    assert.equal((await server.api('/api/v1/devices/44030400001329999999/building')).status, 404);
    assert.equal((await server.api('/api/v1/buildings/B9')).status, 404);
  });

  test('buildings are created, changed and deleted through the API; conflicts are 409', async () => {
    const body = { buildingId: 'B4', address: '福田区4号', street: '福田街道', community: '莲花社区', devices: [{ deviceId: dev(4, 0), role: 'door' }] };
    const created = await server.api('/api/v1/buildings', { method: 'POST', body: JSON.stringify(body) });
    assert.equal(created.status, 201);
    assert.equal((await server.api('/api/v1/buildings', { method: 'POST', body: JSON.stringify(body) })).status, 409);
    const thief = await server.api('/api/v1/buildings', { method: 'POST', body: JSON.stringify({ ...body, buildingId: 'B5' }) });
    assert.equal(thief.status, 409);
    assert.match(((await thief.json()) as { error: { message: string } }).error.message, /belongs to building B4/);
    const bad = await server.api('/api/v1/buildings', { method: 'POST', body: JSON.stringify({ ...body, buildingId: 'B6', devices: [{ deviceId: '123', role: 'door' }] }) });
    assert.equal(bad.status, 400);
    const patched = await server.api('/api/v1/buildings/B4', { method: 'PATCH', body: JSON.stringify({ name: '四号楼', state: 'relocated' }) });
    assert.equal(patched.status, 200);
    const b4 = (await patched.json()) as { name: string; state: string; stateHistory: unknown[]; devices: unknown[] };
    assert.deepEqual([b4.name, b4.state, b4.stateHistory.length, b4.devices.length], ['四号楼', 'relocated', 2, 1]);
    assert.equal((await server.api('/api/v1/buildings/B4', { method: 'DELETE' })).status, 204);
    assert.equal((await server.api('/api/v1/buildings/B4', { method: 'DELETE' })).status, 404);
  });

  test('maintenance windows: create, list, change, delete', async () => {
    const res = await server.api('/api/v1/maintenance-windows', {
      method: 'POST',
      body: JSON.stringify({ scope: 'device', targetId: dev(2, 1), from: '2026-10-10T08:00:00+08:00', to: '2026-10-10T20:00:00+08:00', reason: '更换摄像机' }),
    });
    assert.equal(res.status, 201);
    const w = (await res.json()) as { id: string; from: number };
    assert.equal(w.from, Date.UTC(2026, 9, 10, 0));
    const unknownBuilding = await server.api('/api/v1/maintenance-windows', { method: 'POST', body: JSON.stringify({ scope: 'building', targetId: 'B99', from: 1, to: 2, reason: 'x' }) });
    assert.equal(unknownBuilding.status, 400);
    const backwards = await server.api('/api/v1/maintenance-windows', { method: 'POST', body: JSON.stringify({ scope: 'device', targetId: dev(2, 1), from: 5, to: 2, reason: 'x' }) });
    assert.equal(backwards.status, 400);
    const temp = (await (await server.api('/api/v1/maintenance-windows', { method: 'POST', body: JSON.stringify({ scope: 'building', targetId: 'B1', from: 1, to: 2, reason: 'x' }) })).json()) as { id: string };
    const patched = await server.api(`/api/v1/maintenance-windows/${temp.id}`, { method: 'PATCH', body: JSON.stringify({ reason: '停电' }) });
    assert.equal(((await patched.json()) as { reason: string }).reason, '停电');
    const list = (await (await server.api(`/api/v1/maintenance-windows?targetId=${dev(2, 1)}`)).json()) as { total: number; items: Array<{ id: string }> };
    assert.deepEqual([list.total, list.items[0]?.id], [1, w.id]);
    assert.equal((await server.api(`/api/v1/maintenance-windows/${temp.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await server.api(`/api/v1/maintenance-windows/${temp.id}`)).status, 404);
  });

  test('the October settlement from stored events, as JSON, CSV and XLSX', async () => {
    // All devices online since September; B1's door host offline 200 h in October (below 93%);
    // B2's camera offline 10:00-14:00 on the 10th, inside its maintenance window (excluded).
    const sept = Date.UTC(2026, 8, 20);
    await server.app.index.appendDeviceEvents([1, 2, 3].flatMap((n) => [0, 1, 2].map((s) => ({ deviceId: dev(n, s), type: 'online' as const, reason: 'register' as const, time: sept }))));
    await server.app.index.appendDeviceEvents([
      { deviceId: dev(1, 0), type: 'offline', reason: 'keepalive-timeout', time: OCT.from + 100 * HOUR },
      { deviceId: dev(1, 0), type: 'online', reason: 'register', time: OCT.from + 300 * HOUR },
      { deviceId: dev(2, 1), type: 'offline', reason: 'keepalive-timeout', time: Date.UTC(2026, 9, 10, 2) },
      { deviceId: dev(2, 1), type: 'online', reason: 'register', time: Date.UTC(2026, 9, 10, 6) },
    ]);
    const res = await server.api('/api/v1/reports/settlement?month=2026-10');
    assert.equal(res.status, 200);
    const report = (await res.json()) as {
      from: number;
      rules: { deductionPerPoint: number };
      lines: Array<{ buildingId: string; onlineRate: number; thresholdMet: boolean; rentDue: number; exclusions: unknown[] }>;
      totals: { rentDue: number; buildingsBelowThreshold: number };
    };
    assert.equal(report.from, OCT.from);
    assert.equal(report.rules.deductionPerPoint, 10);
    const month = 744 * HOUR;
    const rate1 = (3 * month - 200 * HOUR) / (3 * month);
    const due1 = Math.round(35000 * (1 - (0.93 - rate1) * 10)) / 100;
    assert.deepEqual(
      report.lines.map((l) => [l.buildingId, l.onlineRate, l.thresholdMet, l.rentDue, l.exclusions.length]),
      [
        ['B1', rate1, false, due1, 0],
        ['B2', 1, true, 350, 1],
        ['B3', 1, true, 350, 0],
      ],
    );
    assert.equal(report.totals.rentDue, Math.round((due1 + 700) * 100) / 100);

    const csvRes = await server.api('/api/v1/reports/settlement?month=2026-10&format=csv');
    assert.match(csvRes.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(csvRes.headers.get('content-disposition') ?? '', /settlement-2026-10\.csv/);
    const rows = parseCsv(await csvRes.text());
    assert.deepEqual(
      rows.map((r) => r.fields?.[0]),
      ['buildingId', 'B1', 'B2', 'B3', 'TOTAL'],
    );
    assert.equal(rows[1]?.fields?.[15], due1.toFixed(2));

    const xlsx = await server.api('/api/v1/reports/settlement?month=2026-10&format=xlsx');
    assert.equal(xlsx.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const parts = unzip(Buffer.from(await xlsx.arrayBuffer()));
    assert.match(parts.get('xl/worksheets/sheet1.xml') ?? '', /景田社区/);
    assert.match(parts.get('xl/worksheets/sheet3.xml') ?? '', /更换摄像机/);

    assert.equal((await server.api('/api/v1/reports/settlement?month=2026-13')).status, 400);
  });

  test('online rate by community and by device for any period; the export lists every building', async () => {
    const q = `from=${OCT.from}&to=${OCT.to}`;
    const byCommunity = (await (await server.api(`/api/v1/reports/online-rate?${q}&groupBy=community`)).json()) as { items: Array<{ key: string; buildings: number }>; district: { devices: number } };
    assert.deepEqual(
      byCommunity.items.map((i) => [i.key, i.buildings]),
      [
        ['福田街道/景田社区', 2],
        ['福田街道/莲花社区', 1],
      ],
    );
    assert.equal(byCommunity.district.devices, 9);
    const byDevice = (await (await server.api(`/api/v1/reports/online-rate?from=2026-10-05T00:00:00%2B08:00&to=2026-10-06T00:00:00%2B08:00&groupBy=device`)).json()) as {
      items: Array<{ deviceId: string; onlineMs: number; countedMs: number }>;
    };
    const door1 = byDevice.items.find((i) => i.deviceId === dev(1, 0));
    // Offline from 04:00 local on the 5th (100 h after the month began) to the end of that day.
    assert.deepEqual([door1?.onlineMs, door1?.countedMs], [4 * HOUR, 24 * HOUR]);
    assert.equal((await server.api(`/api/v1/reports/online-rate?from=${OCT.to}&to=${OCT.from}`)).status, 400);

    const exported = await server.api('/api/v1/buildings/export?format=csv');
    const records = parseCsv(await exported.text());
    assert.deepEqual(
      records.map((r) => r.fields?.[0]),
      ['buildingId', 'B1', 'B2', 'B3'],
    );
    const json = (await (await server.api('/api/v1/buildings/export')).json()) as unknown[];
    assert.equal(json.length, 3);
  });

  test('a device that registers with the platform is counted online from its registration', async () => {
    const deviceId = dev(1, 2);
    const cam = new SimDevice({ deviceId, password: '12345678', transport: 'udp', kind: 'ipc', server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN } });
    await cam.start();
    try {
      // Offline first (as a server restart would record it), then the REGISTER brings it online.
      const offlineAt = Date.now() - 10 * 60_000;
      await server.app.index.appendDeviceEvents([{ deviceId, type: 'offline', reason: 'server-restart', time: offlineAt }]);
      await server.app.index.upsertDevice(deviceId, { online: false });
      await cam.register();
      const registeredAt = await waitFor(async () => (await server.app.index.listDeviceEvents({ deviceId, from: offlineAt + 1, to: Date.now() + 1, limit: 10 })).find((e) => e.type === 'online')?.time);
      await new Promise((r) => setTimeout(r, 50));
      // Asked up to an hour ahead: the report stops at the present.
      const res = await server.api(`/api/v1/reports/online-rate?from=${offlineAt}&to=${registeredAt + 3_600_000}&groupBy=device`);
      const report = (await res.json()) as { to: number; items: Array<{ deviceId: string; onlineMs: number; countedMs: number }> };
      const item = report.items.find((i) => i.deviceId === deviceId);
      assert.ok(report.to > registeredAt && report.to <= Date.now());
      assert.deepEqual([item?.onlineMs, item?.countedMs], [report.to - registeredAt, report.to - offlineAt]);
    } finally {
      await cam.stop();
    }
  });
});
