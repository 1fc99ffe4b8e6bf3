import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';
import { channelOwner } from '../../../src/sip/device/channel-owner';
import { SqliteIndexStore } from '../../../src/storage/sqlite/index-store';
import { channelUpdate } from '../../storage/index-store.contract';

const NVR = '34020000001180000001';
const OTHER_NVR = '34020000001180000002';
const IPC = '34020000001320000003';
const SHARED_CHANNEL = '34020000001310000001';

describe('the device that owns a channel', () => {
  const index = new SqliteIndexStore({ path: ':memory:', logger: silentLogger() });
  before(async () => {
    await index.init();
    for (const id of [NVR, OTHER_NVR, IPC]) await index.upsertDevice(id, { online: true });
    await index.syncChannels(NVR, [channelUpdate(SHARED_CHANNEL)], { complete: true });
    await index.syncChannels(OTHER_NVR, [channelUpdate(SHARED_CHANNEL), channelUpdate('34020000001310000002')], { complete: true });
  });
  after(() => index.close());

  test("a channel row names its device; with a device given, that device's channel", async () => {
    assert.equal(await channelOwner(index, '34020000001310000002'), OTHER_NVR);
    assert.equal(await channelOwner(index, SHARED_CHANNEL, OTHER_NVR), OTHER_NVR);
    assert.equal(await channelOwner(index, SHARED_CHANNEL, NVR), NVR);
  });

  test('a camera registered alone, with no channel row, is its own channel', async () => {
    assert.equal(await channelOwner(index, IPC), IPC);
    assert.equal(await channelOwner(index, IPC, IPC), IPC);
  });

  test('unknown IDs, and a channel asked of a device that does not have it, are not_found', async () => {
    for (const [channelId, deviceId] of [['34020000001310009999', undefined], ['34020000001310000002', NVR], [IPC, NVR]] as const) {
      await assert.rejects(channelOwner(index, channelId, deviceId), (err: unknown) => err instanceof AppError && err.code === 'not_found');
    }
  });
});
