import { AppError } from '../../errors';
import type { Page } from '../../storage/types';
import { buildingsCsvToRows, buildingsToCsv, type ImportRow } from './csv-format';
import { importBuildings, type ImportMode, type ImportReport } from './import';
import { BuildingConflictError, nextStateHistory, type BuildingInput, type BuildingQuery, type BuildingStore, type StoredBuilding } from './types';
import { checkBuilding } from './validate';

/** The API's view of buildings: checks input, maps store conflicts to AppErrors, imports and exports. */
export class BuildingService {
  constructor(
    readonly store: BuildingStore,
    private readonly clock: () => number = Date.now,
  ) {}

  list(query: BuildingQuery): Promise<Page<StoredBuilding>> {
    return this.store.listBuildings(query);
  }

  async get(buildingId: string): Promise<StoredBuilding> {
    const building = await this.store.getBuilding(buildingId);
    if (!building) throw new AppError('not_found', `building ${buildingId} is not known`);
    return building;
  }

  async ofDevice(deviceId: string): Promise<StoredBuilding> {
    const building = await this.store.buildingOfDevice(deviceId);
    if (!building) throw new AppError('not_found', `device ${deviceId} is in no building`);
    return building;
  }

  async create(raw: unknown): Promise<StoredBuilding> {
    const input = mustCheck(raw);
    return this.write(() => this.store.createBuilding(input, this.clock()));
  }

  /** Changes the given fields; `devices` when given replaces the whole list. */
  async update(buildingId: string, patch: Record<string, unknown>): Promise<StoredBuilding> {
    const current = await this.get(buildingId);
    if (patch.buildingId !== undefined && patch.buildingId !== buildingId) throw new AppError('bad_request', 'buildingId cannot be changed (delete and create instead)');
    const { stateHistory: _h, stateSince: currentSince, createdAt: _c, updatedAt: _u, ...fields } = current;
    const merged: Record<string, unknown> = { ...fields, ...patch, buildingId };
    // The stored start of the state stays unless the patch changes the state or gives a new start.
    if (patch.stateSince === undefined && (patch.state === undefined || patch.state === current.state)) merged.stateSince = currentSince;
    const input = mustCheck(merged);
    const history = nextStateHistory(input, current, this.clock());
    if (typeof history === 'string') throw new AppError('bad_request', history);
    return this.write(() => this.store.replaceBuilding(input, this.clock()));
  }

  async delete(buildingId: string): Promise<void> {
    if (!(await this.store.deleteBuilding(buildingId))) throw new AppError('not_found', `building ${buildingId} is not known`);
  }

  importCsv(text: string, options: { mode: ImportMode; dryRun: boolean }): Promise<ImportReport> {
    const { rows, fileError } = buildingsCsvToRows(text);
    if (fileError !== null) return Promise.resolve(fileReport(fileError, options));
    return importBuildings(this.store, rows, { ...options, now: this.clock(), csv: true });
  }

  importJson(body: unknown, options: { mode: ImportMode; dryRun: boolean }): Promise<ImportReport> {
    if (!Array.isArray(body)) return Promise.resolve(fileReport('a JSON import is an array of buildings', options));
    const rows: ImportRow[] = (body as unknown[]).map((raw, i) =>
      typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? { row: i + 1, line: 0, raw: raw as Record<string, unknown> }
        : { row: i + 1, line: 0, error: 'a building must be an object' },
    );
    return importBuildings(this.store, rows, { ...options, now: this.clock(), csv: false });
  }

  async exportCsv(): Promise<string> {
    return buildingsToCsv(await this.store.allBuildings());
  }

  exportJson(): Promise<StoredBuilding[]> {
    return this.store.allBuildings();
  }

  private async write(run: () => Promise<StoredBuilding>): Promise<StoredBuilding> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof BuildingConflictError) throw new AppError(err.kind === 'not-found' ? 'not_found' : 'conflict', err.message);
      if (err instanceof RangeError) throw new AppError('bad_request', err.message);
      throw err;
    }
  }
}

function mustCheck(raw: unknown): BuildingInput {
  const check = checkBuilding(raw);
  if (!check.ok) throw new AppError('bad_request', check.errors.join('; '));
  return check.value;
}

function fileReport(fileError: string, options: { mode: ImportMode; dryRun: boolean }): ImportReport {
  return { ok: false, dryRun: options.dryRun, mode: options.mode, rows: 0, created: 0, updated: 0, fileError, errors: [] };
}
