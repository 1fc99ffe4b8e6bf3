import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors';
import type { Page } from '../../storage/types';
import type { BuildingDirectory } from '../building-directory';
import { buildingIdProblem, deviceIdProblem } from '../buildings/validate';
import type { MaintenanceQuery, MaintenanceStore, MaintenanceWindow } from './types';

export interface MaintenanceInput {
  scope: 'device' | 'building';
  targetId: string;
  from: number;
  to: number;
  reason: string;
}

/** Declared maintenance windows: checked (a known building, a well-formed device ID, to after from) and stored. */
export class MaintenanceService {
  constructor(
    readonly store: MaintenanceStore,
    private readonly buildings: BuildingDirectory,
    private readonly clock: () => number = Date.now,
  ) {}

  list(query: MaintenanceQuery): Promise<Page<MaintenanceWindow>> {
    return this.store.list(query);
  }

  async get(id: string): Promise<MaintenanceWindow> {
    const w = await this.store.get(id);
    if (!w) throw new AppError('not_found', `maintenance window ${id} is not known`);
    return w;
  }

  async create(input: MaintenanceInput): Promise<MaintenanceWindow> {
    await this.check(input);
    const now = this.clock();
    const window: MaintenanceWindow = { id: randomUUID(), ...input, createdAt: now, updatedAt: now };
    await this.store.put(window);
    return window;
  }

  async update(id: string, patch: Partial<MaintenanceInput>): Promise<MaintenanceWindow> {
    const current = await this.get(id);
    const next = { ...current, ...patch, updatedAt: this.clock() };
    await this.check(next);
    await this.store.put(next);
    return next;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw new AppError('not_found', `maintenance window ${id} is not known`);
  }

  private async check(w: MaintenanceInput): Promise<void> {
    if (!(w.to > w.from)) throw new AppError('bad_request', 'to must be after from');
    if (w.scope === 'device') {
      const problem = deviceIdProblem(w.targetId);
      if (problem) throw new AppError('bad_request', problem);
      return;
    }
    const problem = buildingIdProblem(w.targetId);
    if (problem) throw new AppError('bad_request', problem);
    if (!(await this.buildings.getBuilding(w.targetId))) throw new AppError('bad_request', `building ${w.targetId} is not known`);
  }
}
