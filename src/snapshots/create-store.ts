import type { MongoIndexStore } from '../storage/mongo/index-store';
import type { IndexStore } from '../storage/ports';
import type { SqliteIndexStore } from '../storage/sqlite/index-store';
import { SqliteSnapshotStore } from './sqlite-store';
import type { SnapshotStore } from './types';

/**
 * The snapshot store beside the index: same SQLite file or same MongoDB connection. The MongoDB
 * one is imported on demand, as every Mongo adapter is: loading mongoose costs ~0.35 s at start.
 */
export async function createSnapshotStore(index: IndexStore): Promise<SnapshotStore> {
  if (index.kind === 'sqlite') return new SqliteSnapshotStore((index as SqliteIndexStore).database());
  const { MongoSnapshotStore } = await import('./mongo-store');
  return new MongoSnapshotStore((index as MongoIndexStore).mongoConnection());
}
