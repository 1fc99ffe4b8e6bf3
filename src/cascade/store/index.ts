import type { IndexStore } from '../../storage/ports';
import type { MongoIndexStore } from '../../storage/mongo/index-store';
import type { SqliteIndexStore } from '../../storage/sqlite/index-store';
import { MongoUpperStore } from './mongo';
import { SqliteUpperStore } from './sqlite';
import type { UpperStore } from './upper-store';

export type { UpperStore } from './upper-store';
export { SqliteUpperStore } from './sqlite';
export { MongoUpperStore } from './mongo';

/** The cascade store next to the index store: same SQLite file, or same MongoDB database. */
export function createUpperStore(index: IndexStore): UpperStore {
  return index.kind === 'sqlite'
    ? new SqliteUpperStore((index as SqliteIndexStore).database())
    : new MongoUpperStore((index as MongoIndexStore).mongoConnection());
}
