import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countSlots, generateDistrict, SLOT, type GeneratedDistrict } from './district-generator';
import { openDistrict, type District } from './fixtures';

const FROM = Date.UTC(2026, 8, 30, 16); // 2026-10-01 00:00 Asia/Shanghai
const TO = Date.UTC(2026, 9, 31, 16);

describe('a simulated district: 10,000 buildings × 3 devices, a month of events', () => {
  let district: District;
  let generated: GeneratedDistrict;
  before(async () => {
    district = await openDistrict();
    generated = generateDistrict({ buildings: 10_000, from: FROM, to: TO, seed: 28181 });
    await district.buildings.writeBuildings(generated.buildings, FROM - 30 * 86_400_000);
    for (const w of generated.windows) await district.maintenance.put(w);
    await district.index.appendDeviceEvents(generated.events);
  });
  after(async () => {
    await district.close();
  });

  test('the settlement matches the slot-by-slot computation for every building, and the totals', async () => {
    // CPU time, not wall time: test files run side by side on two cores.
    const cpu = process.cpuUsage();
    const report = await district.accounting.settlement('2026-10');
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    assert.equal(report.lines.length, 10_000);
    assert.ok(ms < 5000, `settlement of 30,000 devices took ${ms.toFixed(0)} ms of CPU`);

    let dueFen = 0;
    let onlineSlots = 0;
    let countedSlots = 0;
    let below = 0;
    const buildings = new Map(generated.buildings.map((b) => [b.buildingId, b]));
    for (const line of report.lines) {
      const b = buildings.get(line.buildingId);
      assert.ok(b);
      let on = 0;
      let counted = 0;
      for (const d of b.devices) {
        const c = countSlots(generated.online.get(d.deviceId) as Uint8Array, generated.excluded.get(d.deviceId) as Uint8Array);
        on += c.online;
        counted += c.counted;
      }
      assert.equal(line.onlineMs, on * SLOT, `online time of ${line.buildingId}`);
      assert.equal(line.countedMs, counted * SLOT, `counted time of ${line.buildingId}`);
      const share = 1 - (generated.removedSlots.get(line.buildingId) ?? 0) / generated.slots;
      const rate = counted > 0 ? on / counted : null;
      const expected = rate === null || rate >= 0.93 ? 350 * share : Math.max(0, 350 * share * (1 - (0.93 - rate) * 5));
      assert.equal(line.rentDue, Math.round(expected * 100) / 100, `rent of ${line.buildingId}`);
      dueFen += Math.round(expected * 100);
      onlineSlots += on;
      countedSlots += counted;
      if (rate !== null && rate < 0.93) below += 1;
    }
    assert.equal(Math.round(report.totals.rentDue * 100), dueFen);
    assert.equal(report.totals.onlineRate, onlineSlots / countedSlots);
    assert.equal(report.totals.buildingsBelowThreshold, below);
    assert.ok(below > 0 && below < 10_000, `some buildings fall below the threshold (${below})`);
    const excludedBuildings = report.lines.filter((l) => l.exclusions.length > 0).length;
    assert.ok(excludedBuildings > 50, `exclusions are listed (${excludedBuildings} buildings)`);
  });

  test('the district online rate grouped by street equals the device-level sum', async () => {
    const byStreet = await district.accounting.onlineRate(FROM, TO, 'street');
    assert.equal(byStreet.items.length, 7);
    const online = byStreet.items.reduce((n, i) => n + i.onlineMs, 0);
    assert.equal(online, byStreet.district.onlineMs);
    assert.equal(byStreet.district.devices, 30_000);
  });
});
