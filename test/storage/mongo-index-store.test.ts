import { mongoIndexStores } from '../helpers/mongo';
import { runIndexStoreContract } from './index-store.contract';

// Contract tests init() the store themselves; a second init() is a no-op.
const mongo = mongoIndexStores('index store contract suite');
if (mongo) runIndexStoreContract('MongoDB', mongo);
