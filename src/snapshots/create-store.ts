import type { MongoIndexStore } from '../storage/mongo/index-store';
import type { IndexStore } from '../storage/ports';
import type { SqliteIndexStore } from '../storage/sqlite/index-store';
import { MongoSnapshotStore } from './mongo-store';
import { SqliteSnapshotStore } from './sqlite-store';
import type { SnapshotStore } from './types';

/** The snapshot store beside the index: same SQLite file or same MongoDB connection. */
export function createSnapshotStore(index: IndexStore): SnapshotStore {
  return index.kind === 'sqlite'
    ? new SqliteSnapshotStore((index as SqliteIndexStore).database())
    : new MongoSnapshotStore((index as MongoIndexStore).mongoConnection());
}
