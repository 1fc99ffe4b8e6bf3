/**
 * What every UpperStore adapter does. The factory returns an initialized index store (whose
 * database the cascade store shares) and the upper store on it, not yet initialized.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpperStore } from '../../src/cascade/store';
import { withUpperDefaults, type UpperShare } from '../../src/cascade/types';

export type UpperStoreFactory = () => Promise<{ store: UpperStore; close: () => Promise<void> }>;

const CITY = '35010000002000000001';
const PROVINCE = '35000000002000000001';

function share(upperId: string, localId: string, fields: Partial<UpperShare> = {}): UpperShare {
  return { upperId, localId, kind: 'channel', deviceId: null, mappedId: null, createdAt: 1000, ...fields };
}

export function runUpperStoreContract(name: string, factory: UpperStoreFactory): void {
  void describe(`UpperStore contract: ${name}`, () => {
    const withStore = async (fn: (store: UpperStore) => Promise<void>): Promise<void> => {
      const { store, close } = await factory();
      try {
        await store.init();
        await fn(store);
      } finally {
        await close();
      }
    };

    void test('an upper reads back with every field, and the list is ordered by ID', () =>
      withStore(async (store) => {
        const city = withUpperDefaults({ upperId: CITY, host: '10.0.0.1', port: 5060, password: '秘密', charset: 'UTF-8', enabled: false }, 1000);
        await store.putUpper(withUpperDefaults({ upperId: PROVINCE, host: '10.0.0.2', port: 5061 }, 1000));
        await store.putUpper(city);
        assert.deepEqual(await store.getUpper(CITY), city);
        assert.deepEqual((await store.listUppers()).map((u) => u.upperId), [PROVINCE, CITY]);
        assert.equal(await store.getUpper('35010000002000000009'), null);
      }));

    void test('an update merges fields and stamps updatedAt; unknown uppers give null', () =>
      withStore(async (store) => {
        await store.putUpper(withUpperDefaults({ upperId: CITY, host: '10.0.0.1', port: 5060 }, 1000));
        const updated = await store.updateUpper(CITY, { port: 5070, localId: '34020000002000000002', password: null }, 2000);
        assert.equal(updated?.port, 5070);
        assert.equal(updated?.localId, '34020000002000000002');
        assert.equal(updated?.host, '10.0.0.1');
        assert.equal(updated?.updatedAt, 2000);
        assert.equal(updated?.createdAt, 1000);
        assert.deepEqual(await store.getUpper(CITY), updated);
        assert.equal(await store.updateUpper('35010000002000000009', { port: 1 }, 2000), null);
      }));

    void test('shares are added, replaced by local ID, removed, and go with their upper', () =>
      withStore(async (store) => {
        await store.putUpper(withUpperDefaults({ upperId: CITY, host: 'h', port: 1 }, 1000));
        await store.putUpper(withUpperDefaults({ upperId: PROVINCE, host: 'h', port: 2 }, 1000));
        await store.addShares([
          share(CITY, '34020000001310000002'),
          share(CITY, '34020000001310000001', { deviceId: '34020000001180000001' }),
          share(CITY, '34020000002160000001', { kind: 'organisation' }),
          share(PROVINCE, '34020000001180000001', { kind: 'device' }),
        ]);
        await store.addShares([share(CITY, '34020000001310000002', { mappedId: '35010000001310000002' })]);
        const shares = await store.listShares(CITY);
        assert.deepEqual(shares.map((s) => s.localId), ['34020000001310000001', '34020000001310000002', '34020000002160000001']);
        assert.equal(shares[0]?.deviceId, '34020000001180000001');
        assert.equal(shares[1]?.mappedId, '35010000001310000002');
        assert.equal(shares[2]?.kind, 'organisation');
        assert.equal(await store.removeShares(CITY, ['34020000001310000001', '34020000001399999999']), 1);
        assert.equal((await store.listShares(CITY)).length, 2);
        assert.equal(await store.deleteUpper(CITY), true);
        assert.equal(await store.deleteUpper(CITY), false);
        assert.deepEqual(await store.listShares(CITY), []);
        assert.equal((await store.listShares(PROVINCE)).length, 1);
      }));
  });
}
