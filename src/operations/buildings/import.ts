import { checkBuilding } from './validate';
import type { ImportRow } from './csv-format';
import { BuildingConflictError, nextStateHistory, type BuildingInput, type BuildingStore, type StoredBuilding } from './types';

export type ImportMode = 'insert' | 'upsert';

export interface ImportRowError {
  /** 1-based data row (the header is not counted); for JSON the array position + 1. */
  row: number;
  /** CSV line where the row starts (absent for JSON). */
  line?: number;
  buildingId?: string;
  errors: string[];
}

export interface ImportReport {
  /** True when every row was good (and, unless dryRun, written). */
  ok: boolean;
  dryRun: boolean;
  mode: ImportMode;
  rows: number;
  created: number;
  updated: number;
  /** A problem with the whole file (header, size): nothing was read. */
  fileError?: string;
  errors: ImportRowError[];
}

export const MAX_IMPORT_ROWS = 50_000;

/**
 * Checks every row (fields, duplicates in the file, buildings and devices already stored) and,
 * only when all are good and this is not a dry run, writes them all in one transaction.
 */
export async function importBuildings(
  store: BuildingStore,
  rows: readonly ImportRow[],
  options: { mode: ImportMode; dryRun: boolean; now: number; csv: boolean },
): Promise<ImportReport> {
  const report: ImportReport = { ok: false, dryRun: options.dryRun, mode: options.mode, rows: rows.length, created: 0, updated: 0, errors: [] };
  if (rows.length > MAX_IMPORT_ROWS) {
    report.fileError = `${rows.length} rows: at most ${MAX_IMPORT_ROWS} per import`;
    return report;
  }
  const existing = new Map<string, StoredBuilding>();
  const owners = new Map<string, string>();
  for (const b of await store.allBuildings()) {
    existing.set(b.buildingId, b);
    for (const d of b.devices) owners.set(d.deviceId, b.buildingId);
  }

  const inputs: BuildingInput[] = [];
  const rowOfBuilding = new Map<string, number>();
  const deviceInFile = new Map<string, { row: number; buildingId: string }>();
  for (const row of rows) {
    const where = options.csv ? { row: row.row, line: row.line } : { row: row.row };
    if (row.error !== undefined) {
      report.errors.push({ ...where, errors: [row.error] });
      continue;
    }
    const check = checkBuilding(row.raw);
    const rawId = typeof row.raw.buildingId === 'string' ? row.raw.buildingId.trim() : undefined;
    if (!check.ok) {
      report.errors.push({ ...where, ...(rawId ? { buildingId: rawId } : {}), errors: check.errors });
      continue;
    }
    const input = check.value;
    const errors: string[] = [];
    const firstRow = rowOfBuilding.get(input.buildingId);
    if (firstRow !== undefined) errors.push(`building ${input.buildingId} is also on row ${firstRow}`);
    else rowOfBuilding.set(input.buildingId, row.row);
    const previous = existing.get(input.buildingId) ?? null;
    if (previous && options.mode === 'insert') errors.push(`building ${input.buildingId} exists (import with mode=upsert to replace it)`);
    if (previous) {
      const history = nextStateHistory(input, previous, options.now);
      if (typeof history === 'string') errors.push(history);
    }
    for (const d of input.devices) {
      const other = deviceInFile.get(d.deviceId);
      if (other && other.buildingId !== input.buildingId) errors.push(`device ${d.deviceId} is also in building ${other.buildingId} on row ${other.row}`);
      else if (!other) deviceInFile.set(d.deviceId, { row: row.row, buildingId: input.buildingId });
      const owner = owners.get(d.deviceId);
      // A device may leave a building only for another when that building is itself replaced by this import.
      if (owner !== undefined && owner !== input.buildingId && !(options.mode === 'upsert' && buildingInRows(rows, owner))) {
        errors.push(`device ${d.deviceId} belongs to building ${owner}`);
      }
    }
    if (errors.length > 0) report.errors.push({ ...where, buildingId: input.buildingId, errors });
    else {
      inputs.push(input);
      if (previous) report.updated += 1;
      else report.created += 1;
    }
  }
  if (report.errors.length > 0) {
    report.created = 0;
    report.updated = 0;
    return report;
  }
  if (!options.dryRun) {
    try {
      const written = await store.writeBuildings(inputs, options.now);
      report.created = written.created;
      report.updated = written.updated;
    } catch (err) {
      if (!(err instanceof BuildingConflictError)) throw err;
      // Another write came between the check and this one: nothing of the import was kept.
      report.created = 0;
      report.updated = 0;
      report.fileError = `nothing imported: ${err.message} (changed while importing; try again)`;
      return report;
    }
  }
  report.ok = true;
  return report;
}

const idsOfRows = new WeakMap<readonly ImportRow[], Set<string>>();

function buildingInRows(rows: readonly ImportRow[], buildingId: string): boolean {
  let ids = idsOfRows.get(rows);
  if (!ids) {
    ids = new Set(rows.flatMap((r) => (r.raw !== undefined && typeof r.raw.buildingId === 'string' ? [r.raw.buildingId.trim()] : [])));
    idsOfRows.set(rows, ids);
  }
  return ids.has(buildingId);
}
