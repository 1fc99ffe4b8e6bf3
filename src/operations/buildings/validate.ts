import type { BuildingDevice, BuildingState } from '../building-directory';
import type { BuildingInput } from './types';

/**
 * Checks one building as given by a caller (API body, a JSON import element, a CSV row turned
 * into an object) and lists every problem at once, so that an import report names them all.
 */
export type BuildingCheck = { ok: true; value: BuildingInput } | { ok: false; errors: string[] };

const STATES: readonly BuildingState[] = ['active', 'removed', 'relocated'];
// No control characters, no slash (the ID is a path segment of the API), no edge spaces.
const BUILDING_ID = /^[^\p{Cc}/\\?#%\s](?:[^\p{Cc}/\\?#%]{0,62}[^\p{Cc}/\\?#%\s])?$/u;
const GB_ID = /^\d{20}$/;
const CIVIL_CODE = /^\d{2,20}$/;
export const MAX_CAMERAS = 16;

export function buildingIdProblem(id: string): string | null {
  return BUILDING_ID.test(id) ? null : 'buildingId must be 1-64 characters without slashes, ?, #, %, control characters or edge spaces';
}

/** A device ID a building can hold: a 20-digit code of a front-end device (type below 200). */
export function deviceIdProblem(id: string): string | null {
  if (!GB_ID.test(id)) return `device ID "${id.slice(0, 40)}" is not a 20-digit GB/T 28181 code`;
  const type = Number(id.slice(10, 13));
  if (type >= 200) return `device ID ${id} has type ${id.slice(10, 13)} (a server, user or group), not a front-end device`;
  return null;
}

function text(raw: Record<string, unknown>, key: string, errors: string[], options: { required: boolean; max: number }): string | null {
  const value = raw[key];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (options.required) errors.push(`${key} is missing`);
    return null;
  }
  if (typeof value !== 'string') {
    errors.push(`${key} must be text`);
    return null;
  }
  const trimmed = value.trim();
  if (trimmed.length > options.max) errors.push(`${key} is longer than ${options.max} characters`);
  return trimmed;
}

function coordinate(raw: Record<string, unknown>, key: string, limit: number, errors: string[]): number | null {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) > limit) {
    errors.push(`${key} must be a number from -${limit} to ${limit}`);
    return null;
  }
  return n;
}

function time(raw: Record<string, unknown>, key: string, errors: string[]): number | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? (/^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value)) : NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    errors.push(`${key} must be an ISO 8601 time or epoch milliseconds`);
    return undefined;
  }
  return ms;
}

function devices(raw: Record<string, unknown>, errors: string[]): BuildingDevice[] {
  const value = raw.devices;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push('devices must be a list of {deviceId, role}');
    return [];
  }
  const out: BuildingDevice[] = [];
  const seen = new Set<string>();
  for (const item of value as unknown[]) {
    const deviceId = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).deviceId : undefined;
    const role = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).role : undefined;
    if (typeof deviceId !== 'string' || (role !== 'door' && role !== 'camera')) {
      errors.push('each device needs a deviceId and a role (door or camera)');
      continue;
    }
    const problem = deviceIdProblem(deviceId);
    if (problem) errors.push(problem);
    else if (seen.has(deviceId)) errors.push(`device ${deviceId} is listed twice`);
    else {
      seen.add(deviceId);
      out.push({ deviceId, role });
    }
  }
  if (out.filter((d) => d.role === 'door').length > 1) errors.push('a building has at most one door-entry host');
  if (out.filter((d) => d.role === 'camera').length > MAX_CAMERAS) errors.push(`a building has at most ${MAX_CAMERAS} cameras`);
  return out;
}

export function checkBuilding(raw: unknown): BuildingCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: ['a building must be an object'] };
  const r = raw as Record<string, unknown>;
  const errors: string[] = [];
  const buildingId = text(r, 'buildingId', errors, { required: true, max: 64 });
  if (buildingId !== null) {
    const problem = buildingIdProblem(buildingId);
    if (problem) errors.push(problem);
  }
  const name = text(r, 'name', errors, { required: false, max: 128 });
  const address = text(r, 'address', errors, { required: true, max: 256 });
  const street = text(r, 'street', errors, { required: true, max: 64 });
  const community = text(r, 'community', errors, { required: true, max: 64 });
  const civilCode = text(r, 'civilCode', errors, { required: false, max: 20 });
  if (civilCode !== null && !CIVIL_CODE.test(civilCode)) errors.push('civilCode must be 2-20 digits');
  const longitude = coordinate(r, 'longitude', 180, errors);
  const latitude = coordinate(r, 'latitude', 90, errors);
  if ((longitude === null) !== (latitude === null) && !errors.some((e) => e.startsWith('longitude') || e.startsWith('latitude'))) {
    errors.push('longitude and latitude go together: give both or neither');
  }
  const stateText = text(r, 'state', errors, { required: false, max: 16 });
  const state = (stateText ?? 'active') as BuildingState;
  if (!STATES.includes(state)) errors.push('state must be active, removed or relocated');
  const stateSince = time(r, 'stateSince', errors);
  const line = text(r, 'line', errors, { required: false, max: 64 });
  const list = devices(r, errors);
  if (errors.length > 0 || buildingId === null || address === null || street === null || community === null) return { ok: false, errors };
  return {
    ok: true,
    value: {
      buildingId,
      name,
      address,
      street,
      community,
      civilCode,
      longitude,
      latitude,
      state,
      ...(stateSince !== undefined ? { stateSince } : {}),
      line,
      devices: list,
    },
  };
}
