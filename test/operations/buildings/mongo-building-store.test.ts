import { MongoBuildingStore } from '../../../src/operations/buildings/mongo-store';
import { MongoMaintenanceStore } from '../../../src/operations/maintenance/mongo-store';
import { mongoIndexStores } from '../../helpers/mongo';
import { runBuildingStoreContract } from './building-store.contract';

// A database per test (the contract assumes an empty store), all dropped at the end.
const mongo = mongoIndexStores('building store contract');
if (mongo) {
  runBuildingStoreContract('MongoDB', async () => {
    const index = await mongo();
    const connection = index.mongoConnection();
    return { buildings: new MongoBuildingStore(connection), maintenance: new MongoMaintenanceStore(connection), close: () => index.close() };
  });
}
