import { MongoAuditStore } from '../../../src/operations/audit/store-mongo';
import { MongoDoorRecordStore } from '../../../src/operations/doors/store-mongo';
import { MongoFaultStore } from '../../../src/operations/faults/store-mongo';
import { MongoWatchlistStore } from '../../../src/operations/watchlist/store-mongo';
import { mongoIndexStores } from '../../helpers/mongo';
import { runOperationsStoresContract } from './stores.contract';

const mongo = mongoIndexStores('operations stores contract');
if (mongo) {
  runOperationsStoresContract('MongoDB', async () => {
    const connection = (await mongo()).mongoConnection();
    const stores = { faults: new MongoFaultStore(connection), doors: new MongoDoorRecordStore(connection), watchlist: new MongoWatchlistStore(connection), audit: new MongoAuditStore(connection) };
    for (const s of Object.values(stores)) await s.init();
    return stores;
  });
}
