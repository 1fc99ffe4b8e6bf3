/** The MongoDB adapter's document mapping is pure, so it is tested here even without a MongoDB server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toDevice } from '../../src/storage/mongo/documents';

test('a device document missing fields reads with defaults; present fields win; no stray properties', () => {
  const device = toDevice({ deviceId: '34020000001180000001', name: '北门', online: true, createdAt: 5, remotePort: 5060 });
  assert.equal(device.typeCode, '118');
  assert.equal(device.name, '北门');
  assert.equal(device.online, true);
  assert.equal(device.remotePort, 5060);
  assert.equal(device.transport, 'udp');
  assert.equal(device.gbVersion, 'unknown');
  assert.equal(device.createdAt, 5);
  assert.equal(device.updatedAt, 5);
  const withExtra = toDevice({ deviceId: '34020000001320000001', ...({ _id: 'x', __v: 0 } as object) });
  assert.ok(!('_id' in withExtra) && !('__v' in withExtra));
});
