import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountingService } from '../../../src/operations/accounting/accounting-service';
import { monthRange } from '../../../src/operations/accounting/month';
import type { BuildingFigures } from '../../../src/operations/accounting/online-time';
import type { MaintenanceWindow } from '../../../src/operations/maintenance/types';
import type { DeviceEvent } from '../../../src/storage/types';
import { buildingInput, DAY, deviceIdOf, event, HOUR, MINUTE, openDistrict, RULES, simulateMinutes, type District } from './fixtures';

/** Local (Asia/Shanghai, UTC+8) wall-clock time as ms UTC. */
const local = (month: number, day: number, hour = 0, minute = 0) => Date.UTC(2026, month - 1, day, hour - 8, minute);
const OCT = { from: local(10, 1), to: local(11, 1) };

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('online-time accounting: histories with known answers', () => {
  let district: District;
  const stored: DeviceEvent[] = [];
  const windows: MaintenanceWindow[] = [];
  const d = (building: number, slot: number) => deviceIdOf(building, slot);
  const append = async (events: DeviceEvent[]) => {
    stored.push(...events);
    await district.index.appendDeviceEvents(events);
  };

  before(async () => {
    district = await openDistrict();
    for (const n of [1, 2, 3, 4]) await district.buildings.createBuilding(buildingInput(n), local(9, 1));
    const sept = local(9, 20);
    // Everything online since September, except building 2's second camera, which never registered.
    await append([1, 2, 3, 4].flatMap((n) => [0, 1, 2].filter((s) => !(n === 2 && s === 2)).map((s) => event(d(n, s), 'online', sept))));

    // Building 1, door host: offline across local midnight, and across the end of the month.
    await append([
      event(d(1, 0), 'offline', local(10, 10, 23)),
      event(d(1, 0), 'online', local(10, 11, 1, 30)),
      event(d(1, 0), 'offline', local(10, 31, 22)),
      event(d(1, 0), 'online', local(11, 1, 3)),
    ]);
    // Building 1, camera 1: the server restarts during an outage (it writes 'server-restart' when
    // it comes back; the device re-registers later), and a restart while the device is already offline.
    await append([
      event(d(1, 1), 'offline', local(10, 5, 10, 20), 'server-restart'),
      event(d(1, 1), 'online', local(10, 5, 11), 'register'),
      event(d(1, 1), 'offline', local(10, 6, 8), 'keepalive-timeout'),
      event(d(1, 1), 'offline', local(10, 6, 9), 'server-restart'),
      event(d(1, 1), 'online', local(10, 6, 10), 'register'),
    ]);
    // Building 1, camera 2: duplicated and out-of-order events (stored shuffled).
    await append(
      shuffled(
        [
          event(d(1, 2), 'online', local(10, 15, 9)),
          event(d(1, 2), 'online', local(10, 15, 9)),
          event(d(1, 2), 'offline', local(10, 15, 12)),
          event(d(1, 2), 'offline', local(10, 15, 12)),
          event(d(1, 2), 'offline', local(10, 15, 13)),
          event(d(1, 2), 'online', local(10, 15, 18)),
          event(d(1, 2), 'online', local(10, 15, 19)),
          event(d(1, 2), 'offline', local(10, 22, 6)),
          event(d(1, 2), 'online', local(10, 22, 6, 45)),
        ],
        42,
      ),
    );
    // Building 2: a device window overlapping an outage; a building window during another outage.
    await append([event(d(2, 0), 'offline', local(10, 20, 8)), event(d(2, 0), 'online', local(10, 20, 14))]);
    await append([event(d(2, 1), 'offline', local(10, 25, 12)), event(d(2, 1), 'online', local(10, 27))]);
    for (const w of [
      { scope: 'device' as const, targetId: d(2, 0), from: local(10, 20, 10), to: local(10, 20, 16), reason: 'camera replaced' },
      { scope: 'building' as const, targetId: 'B00002', from: local(10, 25), to: local(10, 26), reason: 'power works' },
    ]) {
      const window = { id: `w-${windows.length + 1}`, ...w, createdAt: 0, updatedAt: 0 };
      windows.push(window);
      await district.maintenance.put(window);
    }
    // Building 3: an outage, then removed for demolition on 16 October; an outage after that does not count.
    await append([event(d(3, 0), 'offline', local(10, 3)), event(d(3, 0), 'online', local(10, 4))]);
    const b3 = await district.buildings.getBuilding('B00003');
    assert.ok(b3);
    await district.buildings.replaceBuilding({ ...buildingInput(3), state: 'removed', stateSince: local(10, 16) }, local(10, 18));
    await append([event(d(3, 1), 'offline', local(10, 20)), event(d(3, 1), 'online', local(10, 21))]);
    // Events of a device in no building are ignored.
    await append([event('44030400001329999999', 'offline', local(10, 2))]);
  });
  after(async () => {
    await district.close();
  });

  const expectedOf = async (buildingId: string, deviceId: string) => {
    const building = await district.buildings.getBuilding(buildingId);
    assert.ok(building);
    return simulateMinutes({ ...OCT, events: stored, deviceId, buildingId, windows, history: building.stateHistory });
  };

  test('the October range in Asia/Shanghai is local midnight to local midnight', () => {
    assert.deepEqual(monthRange('2026-10', 'Asia/Shanghai'), OCT);
    assert.equal(monthRange('2026-13', 'Asia/Shanghai'), null);
    assert.deepEqual(monthRange('2026-12', 'UTC'), { from: Date.UTC(2026, 11, 1), to: Date.UTC(2027, 0, 1) });
  });

  test('every device’s online and counted time equals the minute-by-minute simulation', async () => {
    const result = await district.accounting.onlineTime(OCT.from, OCT.to);
    let checked = 0;
    for (const b of result.buildings) {
      for (const dev of b.devices) {
        const expected = await expectedOf(b.building.buildingId, dev.deviceId);
        assert.equal(dev.onlineMs, expected.onlineMs, `online time of ${dev.deviceId}`);
        assert.equal(dev.countedMs, expected.countedMs, `counted time of ${dev.deviceId}`);
        checked += 1;
      }
    }
    assert.equal(checked, 12);
  });

  test('the scripted outages give the figures worked out by hand', async () => {
    const result = await district.accounting.onlineTime(OCT.from, OCT.to);
    const figures = (id: string) => result.buildings.flatMap((b) => b.devices).find((x) => x.deviceId === id);
    const month = 31 * DAY;
    // 2.5 h across midnight + 2 h up to the month's end.
    assert.equal(figures(d(1, 0))?.onlineMs, month - 4.5 * HOUR);
    // 40 min (restart at 10:20, back at 11:00) + 2 h (08:00-10:00; the restart's offline changes nothing).
    assert.equal(figures(d(1, 1))?.onlineMs, month - 40 * MINUTE - 2 * HOUR);
    // 12:00-18:00 and 06:00-06:45, duplicates and order notwithstanding.
    assert.equal(figures(d(1, 2))?.onlineMs, month - 6 * HOUR - 45 * MINUTE);
    // Outage 08:00-14:00 with a window 10:00-16:00: 2 h offline counted, 6 h of window left out.
    assert.deepEqual([figures(d(2, 0))?.onlineMs, figures(d(2, 0))?.countedMs], [month - 24 * HOUR - 6 * HOUR - 2 * HOUR, month - 24 * HOUR - 6 * HOUR]);
    // Outage 25 Oct 12:00 to 27 Oct 00:00 with the building's window on the 25th: 24 h counted offline.
    assert.deepEqual([figures(d(2, 1))?.onlineMs, figures(d(2, 1))?.countedMs], [month - 48 * HOUR, month - 24 * HOUR]);
    // Never registered: offline all month.
    assert.deepEqual([figures(d(2, 2))?.onlineMs, figures(d(2, 2))?.initialState], [0, null]);
    // Removed from the 16th: 15 days counted, one of them offline; the outage after removal is not counted.
    assert.deepEqual([figures(d(3, 0))?.onlineMs, figures(d(3, 0))?.countedMs], [14 * DAY, 15 * DAY]);
    assert.deepEqual([figures(d(3, 1))?.onlineMs, figures(d(3, 1))?.countedMs], [15 * DAY, 15 * DAY]);
    assert.equal(figures(d(4, 2))?.onlineMs, month);
  });

  test('exclusions are listed per building: maintenance windows and the removal', async () => {
    const result = await district.accounting.onlineTime(OCT.from, OCT.to);
    const of = (id: string): BuildingFigures | undefined => result.buildings.find((b) => b.building.buildingId === id);
    assert.deepEqual(
      of('B00002')?.exclusions.map((e) => [e.kind, e.deviceId ?? null, e.windowId, e.from, e.to, e.reason]).sort(),
      [
        ['maintenance', d(2, 0), 'w-1', local(10, 20, 10), local(10, 20, 16), 'camera replaced'],
        ['maintenance', null, 'w-2', local(10, 25), local(10, 26), 'power works'],
      ].sort(),
    );
    assert.deepEqual(
      of('B00003')?.exclusions.map((e) => [e.kind, e.from, e.to]),
      [['building-removed', local(10, 16), OCT.to]],
    );
    assert.equal(of('B00003')?.serviceShare, 15 / 31);
    assert.deepEqual(of('B00001')?.exclusions, []);
  });

  test('the settlement applies the threshold and deduction to each building’s time-weighted rate', async () => {
    const report = await district.accounting.settlement('2026-10');
    assert.equal(report.from, OCT.from);
    assert.equal(report.lines.length, 4);
    let totalDueFen = 0;
    for (const line of report.lines) {
      const building = await district.buildings.getBuilding(line.buildingId);
      assert.ok(building);
      let online = 0;
      let counted = 0;
      for (const dev of building.devices) {
        const e = await expectedOf(line.buildingId, dev.deviceId);
        online += e.onlineMs;
        counted += e.countedMs;
      }
      const rate = online / counted;
      assert.equal(line.onlineRate, rate, `rate of ${line.buildingId}`);
      const share = line.buildingId === 'B00003' ? 15 / 31 : 1;
      // 5% of the (prorated) price per percentage point below 93%.
      const expectedDue = rate >= 0.93 ? 350 * share : Math.max(0, 350 * share * (1 - (0.93 - rate) * 5));
      assert.equal(line.rentDue, Math.round(expectedDue * 100) / 100, `rent of ${line.buildingId}`);
      assert.equal(line.thresholdMet, rate >= 0.93);
      totalDueFen += Math.round(expectedDue * 100);
    }
    // Building 2 (a camera never online) is far below; 1, 3 and 4 are above.
    assert.deepEqual(
      report.lines.map((l) => l.thresholdMet),
      [true, false, true, true],
    );
    assert.equal(report.totals.rentDue, totalDueFen / 100);
    assert.equal(report.totals.buildingsBelowThreshold, 1);
    assert.equal(Math.round((report.totals.baseRent - report.totals.deduction) * 100), Math.round(report.totals.rentDue * 100));
  });

  test('online rate grouped by building, community, street and district sums times, not rates', async () => {
    const byDevice = await district.accounting.onlineRate(OCT.from, OCT.to, 'device');
    const byDistrict = await district.accounting.onlineRate(OCT.from, OCT.to, 'district');
    const online = byDevice.items.reduce((n, i) => n + i.onlineMs, 0);
    const counted = byDevice.items.reduce((n, i) => n + i.countedMs, 0);
    assert.equal(byDistrict.district.onlineRate, online / counted);
    assert.equal(byDistrict.items.length, 1);
    for (const groupBy of ['building', 'community', 'street'] as const) {
      const report = await district.accounting.onlineRate(OCT.from, OCT.to, groupBy);
      assert.equal(
        report.items.reduce((n, i) => n + i.onlineMs, 0),
        online,
        groupBy,
      );
      for (const item of report.items) assert.equal(item.onlineRate, item.onlineMs / item.countedMs);
    }
    assert.equal(byDevice.exclusions.length, 3);
  });

  test('a month still running is settled up to the present and marked provisional', async () => {
    const now = local(10, 11, 1, 30);
    const running = new AccountingService(district.buildings, district.maintenance, district.events, { timezone: 'Asia/Shanghai', rules: RULES, now: () => now });
    const report = await running.settlement('2026-10');
    assert.deepEqual([report.complete, report.to], [false, now]);
    const door = report.lines[0];
    // Ten and a half days counted for 3 devices; the door host's outage from 23:00 on the 10th is in it.
    assert.equal(door?.countedMs, 3 * (now - OCT.from));
    assert.equal(door?.onlineMs, 3 * (now - OCT.from) - 2.5 * HOUR - 2 * HOUR - 40 * MINUTE);
    assert.equal((await district.accounting.settlement('2026-10')).complete, true);
    await assert.rejects(running.settlement('2026-11'), /has not begun/);
  });

  test('a day inside the month: the state at the start comes from the last event before it', async () => {
    const from = local(10, 10, 12);
    const to = local(10, 11, 12);
    const result = await district.accounting.onlineTime(from, to);
    const door = result.buildings[0]?.devices[0];
    assert.equal(door?.initialState, 'online');
    assert.equal(door?.onlineMs, DAY - 2.5 * HOUR);
    const cam = result.buildings[1]?.devices[2];
    assert.equal(cam?.initialState, null);
    assert.equal(cam?.onlineMs, 0);
  });
});

describe('online-time accounting: random histories against the simulation', () => {
  test('300 devices with random, duplicated, shuffled events, windows and removals match minute by minute', async () => {
    const district = await openDistrict();
    try {
      let seed = 12345;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const from = local(10, 1);
      const to = local(10, 4);
      const minuteIn = (a: number, b: number) => a + Math.floor(rand() * ((b - a) / MINUTE)) * MINUTE;
      const events: DeviceEvent[] = [];
      const windows: MaintenanceWindow[] = [];
      for (let n = 1; n <= 100; n += 1) {
        const input = buildingInput(n);
        await district.buildings.createBuilding(input, from - 10 * DAY);
        if (rand() < 0.15) {
          await district.buildings.replaceBuilding({ ...input, state: 'removed', stateSince: minuteIn(from - DAY, to) }, to);
          if (rand() < 0.5) {
            const current = await district.buildings.getBuilding(input.buildingId);
            await district.buildings.replaceBuilding({ ...input, state: 'active', stateSince: minuteIn(current?.stateSince ?? from, to + DAY) }, to);
          }
        }
        if (rand() < 0.2) windows.push({ id: `b${n}`, scope: 'building', targetId: input.buildingId, from: minuteIn(from - DAY, to), to: 0, reason: 'works', createdAt: 0, updatedAt: 0 });
        for (const dev of input.devices) {
          for (let k = Math.floor(rand() * 12); k > 0; k -= 1) {
            const e = event(dev.deviceId, rand() < 0.5 ? 'online' : 'offline', minuteIn(from - 2 * DAY, to + DAY), rand() < 0.1 ? 'server-restart' : 'register');
            events.push(e);
            if (rand() < 0.2) events.push({ ...e });
          }
          if (rand() < 0.2) windows.push({ id: dev.deviceId, scope: 'device', targetId: dev.deviceId, from: minuteIn(from - DAY, to), to: 0, reason: 'repair', createdAt: 0, updatedAt: 0 });
        }
      }
      for (const w of windows) {
        w.to = w.from + (1 + Math.floor(rand() * 2000)) * MINUTE;
        await district.maintenance.put(w);
      }
      const order = shuffled(events, 99);
      await district.index.appendDeviceEvents(order);
      const result = await district.accounting.onlineTime(from, to);
      for (const b of result.buildings) {
        for (const dev of b.devices) {
          const expected = simulateMinutes({ from, to, events: order, deviceId: dev.deviceId, buildingId: b.building.buildingId, windows, history: b.building.stateHistory });
          assert.deepEqual([dev.onlineMs, dev.countedMs], [expected.onlineMs, expected.countedMs], `device ${dev.deviceId}`);
        }
      }
    } finally {
      await district.close();
    }
  });
});

describe('online-time accounting: devices replaced and moved during the month', () => {
  let district: District;
  const d = (building: number, slot: number) => deviceIdOf(building, slot);
  const figures = (result: { buildings: BuildingFigures[] }, id: string) => {
    const b = result.buildings.find((x) => x.building.buildingId === id);
    assert.ok(b, id);
    return b;
  };

  before(async () => {
    district = await openDistrict();
    for (const n of [50, 52]) await district.buildings.createBuilding(buildingInput(n), local(9, 1));
    await district.buildings.createBuilding(buildingInput(53, { devices: [{ deviceId: d(53, 0), role: 'door' }, { deviceId: d(53, 2), role: 'camera' }] }), local(9, 1));
    const sept = local(9, 20);
    const all = [d(50, 0), d(50, 1), d(50, 2), d(52, 0), d(52, 1), d(52, 2), d(53, 0), d(53, 2)];
    await district.index.appendDeviceEvents(all.map((id) => event(id, 'online', sept)));
    // Building 50: camera 2 fails for good on Oct 16 and is replaced by a new camera (another ID).
    const swap = local(10, 16);
    await district.index.appendDeviceEvents([event(d(50, 2), 'offline', swap), event(d(51, 2), 'online', swap)]);
    const input50 = buildingInput(50);
    await district.buildings.replaceBuilding({ ...input50, devices: input50.devices.map((x) => (x.deviceId === d(50, 2) ? { deviceId: d(51, 2), role: 'camera' } : x)) }, swap);
    // Building 52's camera 1 (online all month) leaves on Oct 10 and joins building 53 on Oct 12.
    const input52 = buildingInput(52);
    await district.buildings.replaceBuilding({ ...input52, devices: input52.devices.filter((x) => x.deviceId !== d(52, 1)) }, local(10, 10));
    await district.buildings.replaceBuilding(
      buildingInput(53, { devices: [{ deviceId: d(53, 0), role: 'door' }, { deviceId: d(52, 1), role: 'camera' }, { deviceId: d(53, 2), role: 'camera' }] }),
      local(10, 12),
    );
  });
  after(async () => {
    await district.close();
  });

  test('a replaced camera counts until it left, its replacement from when it came: no rent cut for the swap', async () => {
    const result = await district.accounting.onlineTime(OCT.from, OCT.to);
    const b = figures(result, 'B00050');
    const month = OCT.to - OCT.from;
    const byDevice = new Map(b.devices.map((x) => [x.deviceId, x]));
    assert.deepEqual([...byDevice.keys()], [d(50, 0), d(50, 1), d(51, 2), d(50, 2)], 'current devices first, then the one that left');
    assert.equal(byDevice.get(d(50, 2))?.countedMs, local(10, 16) - OCT.from);
    assert.equal(byDevice.get(d(50, 2))?.onlineMs, local(10, 16) - OCT.from);
    assert.equal(byDevice.get(d(51, 2))?.countedMs, OCT.to - local(10, 16));
    assert.equal(byDevice.get(d(51, 2))?.onlineMs, OCT.to - local(10, 16));
    assert.equal(b.countedMs, 3 * month, 'three devices all month: the swap leaves no hole and no double count');
    assert.equal(b.onlineMs, b.countedMs, 'online all the time');
    assert.ok(b.exclusions.some((e) => e.kind === 'not-in-building' && e.deviceId === d(51, 2) && e.from === OCT.from && e.to === local(10, 16)));
  });

  test('a device moved between buildings counts in each for its part, and in neither in between', async () => {
    const result = await district.accounting.onlineTime(OCT.from, OCT.to);
    const in52 = figures(result, 'B00052').devices.find((x) => x.deviceId === d(52, 1));
    const in53 = figures(result, 'B00053').devices.find((x) => x.deviceId === d(52, 1));
    assert.equal(in52?.countedMs, local(10, 10) - OCT.from);
    assert.equal(in53?.countedMs, OCT.to - local(10, 12));
    assert.equal(in52?.onlineMs, in52?.countedMs);
    assert.equal(in53?.onlineMs, in53?.countedMs);
    const report = await district.accounting.settlement('2026-10');
    const line = (id: string) => report.lines.find((x) => x.buildingId === id);
    assert.equal(line('B00052')?.onlineRate, 1);
    assert.equal(line('B00053')?.onlineRate, 1);
    assert.equal(line('B00050')?.onlineRate, 1);
  });
});
