import type { IndexStore } from '../../storage/ports';
import type { MongoIndexStore } from '../../storage/mongo/index-store';
import type { SqliteIndexStore } from '../../storage/sqlite/index-store';
import { SqliteUpperStore } from './sqlite';
import type { UpperStore } from './upper-store';

export type { UpperStore } from './upper-store';
export { SqliteUpperStore } from './sqlite';

/**
 * The cascade store next to the index store: same SQLite file, or same MongoDB database. The
 * MongoDB adapter is imported on demand, so that the embedded default never loads mongoose.
 */
export async function createUpperStore(index: IndexStore): Promise<UpperStore> {
  if (index.kind === 'sqlite') return new SqliteUpperStore((index as SqliteIndexStore).database());
  const { MongoUpperStore } = await import('./mongo');
  return new MongoUpperStore((index as MongoIndexStore).mongoConnection());
}
