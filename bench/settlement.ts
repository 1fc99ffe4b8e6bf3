/**
 * The monthly settlement on SQLite at district scale: 10,000 buildings × 3 devices (30,000), a
 * month of online/offline events (about 3 outages per device, some across midnight and the
 * month's end, duplicates, server-restart repeats: ~200,000 events, stored shuffled), ~1% of
 * devices and buildings with maintenance windows, 0.5% of buildings removed during the month.
 * Runs on a file database in a temporary folder (WAL, synchronous=NORMAL), as in production, with
 * a cold statement cache. Prints the time of each phase of the settlement and its figures; the
 * target is under 2 s for the whole settlement.
 *
 * Usage: node --import tsx bench/settlement.ts [buildings=10000] [outagesPerDevice=3] [runs=5]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { monthRange } from '../src/operations/accounting/month';
import { computeOnlineTime } from '../src/operations/accounting/online-time';
import { generateDistrict } from '../test/operations/accounting/district-generator';
import { openDistrict } from '../test/operations/accounting/fixtures';

const args = process.argv.slice(2);
const buildingCount = Number(args[0] ?? 10_000);
const outages = Number(args[1] ?? 3);
const runs = Number(args[2] ?? 5);
const range = monthRange('2026-10', 'Asia/Shanghai');
if (!range) throw new Error('bad month');

const dir = mkdtempSync(join(tmpdir(), 'gbvms-settlement-'));
const file = join(dir, 'index.sqlite');
try {
  let t = performance.now();
  const generated = generateDistrict({ buildings: buildingCount, from: range.from, to: range.to, seed: 2026, outagesPerDevice: outages });
  const district = await openDistrict(undefined, file);
  await district.buildings.writeBuildings(generated.buildings, range.from - 30 * 86_400_000);
  for (const w of generated.windows) await district.maintenance.put(w);
  for (let i = 0; i < generated.events.length; i += 10_000) await district.index.appendDeviceEvents(generated.events.slice(i, i + 10_000));
  const db = district.index.database();
  for (const sql of [
    'SELECT deviceId, type, time FROM device_events WHERE time >= 0 AND time < 1 ORDER BY time, id',
    "SELECT type FROM device_events WHERE deviceId = 'x' AND time < 1 ORDER BY time DESC, id DESC LIMIT 1",
  ]) {
    const plan = db.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all();
    console.log(`plan: ${plan.map((p) => p.detail).join('; ')}`);
  }
  await district.close();
  console.log(
    `district: ${generated.buildings.length} buildings, ${generated.online.size} devices, ${generated.events.length} events, ${generated.windows.length} maintenance windows; ` +
      `written in ${((performance.now() - t) / 1000).toFixed(1)} s, file ${(statSync(file).size / 1e6).toFixed(1)} MB`,
  );

  const walls: number[] = [];
  const cpus: number[] = [];
  for (let run = 1; run <= runs; run += 1) {
    // A fresh connection each run: no statement cache of the previous one. The settlement first,
    // then its phases one by one (on the now warm connection) to see where the time goes.
    const fresh = await openDistrict(undefined, file);
    t = performance.now();
    const cpu = process.cpuUsage();
    const report = await fresh.accounting.settlement('2026-10');
    const total = performance.now() - t;
    const used = process.cpuUsage(cpu);
    walls.push(total);
    cpus.push((used.user + used.system) / 1000);

    t = performance.now();
    const buildings = await fresh.buildings.allBuildings();
    const tBuildings = performance.now() - t;
    const windows = await fresh.maintenance.overlapping(range.from, range.to);
    t = performance.now();
    const ids = buildings.flatMap((b) => b.devices.map((d) => d.deviceId));
    await fresh.events.statesBefore(ids, range.from);
    const tStates = performance.now() - t;
    t = performance.now();
    let scanned = 0;
    await fresh.events.scan(range.from, range.to, new Set(ids), () => {
      scanned += 1;
    });
    const tScan = performance.now() - t;
    t = performance.now();
    await computeOnlineTime(fresh.events, buildings, windows, range.from, range.to);
    const tCompute = performance.now() - t;
    console.log(
      `run ${run}: settlement ${total.toFixed(0)} ms wall, ${cpus[cpus.length - 1]?.toFixed(0)} ms CPU; then apart: buildings ${tBuildings.toFixed(0)} ms, ` +
        `states at start ${tStates.toFixed(0)} ms, event scan ${tScan.toFixed(0)} ms for ${scanned} events, online time (both again) ${tCompute.toFixed(0)} ms`,
    );
    if (run === runs) {
      const t0 = report.totals;
      console.log(
        `figures: ${t0.buildings} buildings, ${t0.devices} devices, district online rate ${((t0.onlineRate ?? 0) * 100).toFixed(4)}%, ` +
          `${t0.buildingsBelowThreshold} below 93%, base ${t0.baseRent.toFixed(2)} yuan, deduction ${t0.deduction.toFixed(2)}, due ${t0.rentDue.toFixed(2)}`,
      );
    }
    await fresh.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(`settlement median of ${runs}: ${median(walls).toFixed(0)} ms wall, ${median(cpus).toFixed(0)} ms CPU (target: under 2000 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
