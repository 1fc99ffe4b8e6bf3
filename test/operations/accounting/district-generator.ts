import type { BuildingInput } from '../../../src/operations/buildings/types';
import type { MaintenanceWindow } from '../../../src/operations/maintenance/types';
import type { DeviceEvent } from '../../../src/storage/types';
import { buildingInput, DAY } from './fixtures';

/** The generated district works in 10-minute slots: every event, window and removal falls on one. */
export const SLOT = 10 * 60_000;

export interface GeneratedDistrict {
  buildings: BuildingInput[];
  events: DeviceEvent[];
  windows: MaintenanceWindow[];
  /** The truth per device: 1 = online in that slot of the month. */
  online: Map<string, Uint8Array>;
  /** Slots excluded per device (maintenance or removal): 1 = excluded. */
  excluded: Map<string, Uint8Array>;
  /** Per building: slots in which it was removed. */
  removedSlots: Map<string, number>;
  slots: number;
}

/**
 * A month of a district with known answers: for each device a slot map of when it was online
 * (a few outages a month, some across midnight or the month's end, a few devices never online),
 * and the events a server would have stored for it, with noise: duplicates, repeated states,
 * 'server-restart' offlines during outages, events after the month, all in shuffled order.
 */
export function generateDistrict(options: { buildings: number; from: number; to: number; seed: number; outagesPerDevice?: number }): GeneratedDistrict {
  let seed = options.seed >>> 0;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const slots = Math.round((options.to - options.from) / SLOT);
  const at = (slot: number) => options.from + slot * SLOT;
  const outages = options.outagesPerDevice ?? 3;
  const buildings: BuildingInput[] = [];
  const events: DeviceEvent[] = [];
  const windows: MaintenanceWindow[] = [];
  const online = new Map<string, Uint8Array>();
  const excluded = new Map<string, Uint8Array>();
  const removedSlots = new Map<string, number>();

  for (let n = 1; n <= options.buildings; n += 1) {
    const removedAt = rand() < 0.005 ? Math.floor(rand() * slots) : null;
    const input = buildingInput(n, removedAt === null ? {} : { state: 'removed', stateSince: at(removedAt) });
    buildings.push(input);
    removedSlots.set(input.buildingId, removedAt === null ? 0 : slots - removedAt);
    const buildingWindow = rand() < 0.01 ? randomWindow(rand, slots) : null;
    if (buildingWindow) windows.push(windowOf(`bw-${n}`, 'building', input.buildingId, at(buildingWindow[0]), at(buildingWindow[1])));
    for (const device of input.devices) {
      const map = new Uint8Array(slots);
      const neverOnline = rand() < 0.002;
      if (!neverOnline) {
        map.fill(1);
        for (let k = Math.floor(rand() * (2 * outages + 1)); k > 0; k -= 1) {
          const start = Math.floor(rand() * slots);
          map.fill(0, start, Math.min(slots, start + 1 + Math.floor(rand() * (rand() < 0.1 ? 432 : 36))));
        }
      }
      online.set(device.deviceId, map);
      const out = new Uint8Array(slots);
      if (removedAt !== null) out.fill(1, removedAt);
      if (buildingWindow) out.fill(1, buildingWindow[0], buildingWindow[1]);
      if (rand() < 0.01) {
        const w = randomWindow(rand, slots);
        out.fill(1, w[0], w[1]);
        windows.push(windowOf(`dw-${device.deviceId}`, 'device', device.deviceId, at(w[0]), at(w[1])));
      }
      excluded.set(device.deviceId, out);
      if (neverOnline) continue;
      // Registered in the previous month; offline at the start when the first slot is.
      events.push({ deviceId: device.deviceId, type: 'online', reason: 'register', time: options.from - 5 * DAY });
      let state = 1;
      for (let s = 0; s < slots; s += 1) {
        const v = map[s] as number;
        if (v !== state) {
          const time = s === 0 ? options.from - DAY : at(s);
          const e: DeviceEvent = { deviceId: device.deviceId, type: v === 1 ? 'online' : 'offline', reason: v === 1 ? 'register' : 'keepalive-timeout', time };
          events.push(e);
          if (rand() < 0.1) events.push({ ...e });
          state = v;
        } else if (rand() < 0.0005) {
          // A repeat of the state it is in: a server restart during an outage, or a second 'online'.
          events.push({ deviceId: device.deviceId, type: v === 1 ? 'online' : 'offline', reason: v === 1 ? 'keepalive' : 'server-restart', time: at(s) });
        }
      }
      if (state === 0) events.push({ deviceId: device.deviceId, type: 'online', reason: 'register', time: options.to + 3 * 3_600_000 });
    }
  }
  // Shuffled: accounting must sort, not trust the storage order.
  for (let i = events.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = events[i] as DeviceEvent;
    events[i] = events[j] as DeviceEvent;
    events[j] = tmp;
  }
  return { buildings, events, windows, online, excluded, removedSlots, slots };
}

function randomWindow(rand: () => number, slots: number): [number, number] {
  const start = Math.floor(rand() * slots);
  return [start, Math.min(slots, start + 1 + Math.floor(rand() * 144))];
}

function windowOf(id: string, scope: 'device' | 'building', targetId: string, from: number, to: number): MaintenanceWindow {
  return { id, scope, targetId, from, to, reason: scope === 'building' ? '楼栋停电检修' : '设备维修', createdAt: 0, updatedAt: 0 };
}

/** Online and counted slots of a device, read off the maps slot by slot. */
export function countSlots(online: Uint8Array, excluded: Uint8Array): { online: number; counted: number } {
  let on = 0;
  let counted = 0;
  for (let s = 0; s < online.length; s += 1) {
    if (excluded[s] === 1) continue;
    counted += 1;
    on += online[s] as number;
  }
  return { online: on, counted };
}
