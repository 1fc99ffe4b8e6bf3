import { parseCsv, writeCsv } from '../csv/csv';
import type { StoredBuilding } from './types';

/**
 * The buildings CSV file, one row per building after a header row naming the columns (any order,
 * names as below, case-insensitive; unknown columns are refused so that a typo is not silently
 * dropped). Export writes these columns in this order, so an exported file imports again.
 *
 * | column          | content                                                                |
 * |-----------------|------------------------------------------------------------------------|
 * | buildingId      | the district's building code (required, 1-64 characters)               |
 * | name            | optional                                                               |
 * | address         | required                                                               |
 * | street          | street (街道), required                                                |
 * | community       | community (社区), required                                             |
 * | civilCode       | administrative division code, 2-20 digits, optional                    |
 * | longitude       | decimal degrees, optional (with latitude)                              |
 * | latitude        | decimal degrees, optional (with longitude)                             |
 * | state           | active (default when empty), removed or relocated                      |
 * | line            | network line the building hangs on, optional                           |
 * | doorDeviceId    | 20-digit GB/T 28181 ID of the door-entry host, optional                 |
 * | cameraDeviceIds | 20-digit IDs of the cameras separated by `;`, optional                 |
 * | stateSince      | when the state took effect (ISO 8601 or epoch ms), optional            |
 */
export const BUILDING_CSV_COLUMNS = [
  'buildingId',
  'name',
  'address',
  'street',
  'community',
  'civilCode',
  'longitude',
  'latitude',
  'state',
  'line',
  'doorDeviceId',
  'cameraDeviceIds',
  'stateSince',
] as const;

const REQUIRED = ['buildingId', 'address', 'street', 'community'] as const;

/** One data row of an import: the building as an object for checkBuilding, or why the row is unreadable. */
export type ImportRow = { row: number; line: number; raw: Record<string, unknown>; error?: undefined } | { row: number; line: number; error: string; raw?: undefined };

export function buildingsCsvToRows(text: string): { rows: ImportRow[]; fileError: string | null } {
  const records = parseCsv(text);
  const header = records[0];
  if (!header) return { rows: [], fileError: 'the file is empty' };
  if (header.error !== undefined) return { rows: [], fileError: `header on line ${header.line}: ${header.error}` };
  const names = header.fields.map((f) => f.trim());
  const known = new Map<string, string>(BUILDING_CSV_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const columns: string[] = [];
  for (const name of names) {
    const column = known.get(name.toLowerCase());
    if (column === undefined) return { rows: [], fileError: `unknown column "${name}" in the header (columns: ${BUILDING_CSV_COLUMNS.join(', ')})` };
    if (columns.includes(column)) return { rows: [], fileError: `column ${column} appears twice in the header` };
    columns.push(column);
  }
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) return { rows: [], fileError: `the header lacks the required column(s) ${missing.join(', ')}` };

  const rows: ImportRow[] = [];
  records.slice(1).forEach((record, i) => {
    const row = i + 1;
    if (record.error !== undefined) {
      rows.push({ row, line: record.line, error: record.error });
      return;
    }
    if (record.fields.length !== columns.length) {
      rows.push({ row, line: record.line, error: `${record.fields.length} fields where the header has ${columns.length}` });
      return;
    }
    const values = new Map(columns.map((c, k) => [c, record.fields[k] ?? '']));
    const raw: Record<string, unknown> = {};
    for (const [column, value] of values) {
      if (column !== 'doorDeviceId' && column !== 'cameraDeviceIds') raw[column] = value;
    }
    const devices: Array<{ deviceId: string; role: string }> = [];
    const door = (values.get('doorDeviceId') ?? '').trim();
    if (door !== '') devices.push({ deviceId: door, role: 'door' });
    for (const id of (values.get('cameraDeviceIds') ?? '').split(';')) {
      if (id.trim() !== '') devices.push({ deviceId: id.trim(), role: 'camera' });
    }
    raw.devices = devices;
    rows.push({ row, line: record.line, raw });
  });
  return { rows, fileError: null };
}

export function buildingsToCsv(buildings: readonly StoredBuilding[]): string {
  const rows: Array<Array<string | number | null>> = [[...BUILDING_CSV_COLUMNS]];
  for (const b of buildings) {
    rows.push([
      b.buildingId,
      b.name,
      b.address,
      b.street,
      b.community,
      b.civilCode,
      b.longitude,
      b.latitude,
      b.state,
      b.line,
      b.devices.find((d) => d.role === 'door')?.deviceId ?? '',
      b.devices
        .filter((d) => d.role === 'camera')
        .map((d) => d.deviceId)
        .join(';'),
      new Date(b.stateSince).toISOString(),
    ]);
  }
  return writeCsv(rows);
}
