import type { Config } from '../../../config';
import type { IndexStore } from '../../storage/ports';
import type { SqliteIndexStore } from '../../storage/sqlite/index-store';
import type { MongoIndexStore } from '../../storage/mongo/index-store';
import { BuildingService } from '../buildings/building-service';
import type { BuildingStore } from '../buildings/types';
import { MaintenanceService } from '../maintenance/maintenance-service';
import type { MaintenanceStore } from '../maintenance/types';
import { AccountingService } from './accounting-service';
import type { AccountingEventSource } from './event-source';

/** Buildings, maintenance windows and online-rate accounting, on the index store's database. */
export interface DistrictAccounting {
  /** The BuildingDirectory the rest of district operations reads. */
  buildingStore: BuildingStore;
  buildings: BuildingService;
  maintenance: MaintenanceService;
  accounting: AccountingService;
}

/** Picks the SQLite or MongoDB adapters by the index store's kind and initializes them. */
export async function createDistrictAccounting(index: IndexStore, config: Pick<Config, 'timezone' | 'operations'>): Promise<DistrictAccounting> {
  let buildingStore: BuildingStore;
  let maintenanceStore: MaintenanceStore;
  let events: AccountingEventSource;
  if (index.kind === 'sqlite') {
    const db = (index as SqliteIndexStore).database();
    const [{ SqliteBuildingStore }, { SqliteMaintenanceStore }, { SqliteAccountingEvents }] = await Promise.all([
      import('../buildings/sqlite-store'),
      import('../maintenance/sqlite-store'),
      import('./sqlite-events'),
    ]);
    buildingStore = new SqliteBuildingStore(db);
    maintenanceStore = new SqliteMaintenanceStore(db);
    // A read of the index store commits its batched event writes first (they wait for the end of
    // the event-loop turn); an empty listing is the cheapest read that does.
    events = new SqliteAccountingEvents(db, async () => {
      await index.listDeviceEvents({ from: 0, to: 0, limit: 1 });
    });
  } else {
    const connection = (index as MongoIndexStore).mongoConnection();
    const [{ MongoBuildingStore }, { MongoMaintenanceStore }, { MongoAccountingEvents }] = await Promise.all([
      import('../buildings/mongo-store'),
      import('../maintenance/mongo-store'),
      import('./mongo-events'),
    ]);
    buildingStore = new MongoBuildingStore(connection);
    maintenanceStore = new MongoMaintenanceStore(connection);
    const mongoEvents = new MongoAccountingEvents(connection);
    await mongoEvents.init();
    events = mongoEvents;
  }
  await buildingStore.init();
  await maintenanceStore.init();
  return {
    buildingStore,
    buildings: new BuildingService(buildingStore),
    maintenance: new MaintenanceService(maintenanceStore, buildingStore),
    accounting: new AccountingService(buildingStore, maintenanceStore, events, { timezone: config.timezone, rules: config.operations.settlement }),
  };
}
