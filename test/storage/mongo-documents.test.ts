/** The MongoDB adapter's document mapping is pure, so it is tested here even without a MongoDB server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingSegmentFields, toDevice, toRecordingSegment } from '../../src/storage/mongo/documents';

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

test('a recording segment document reads back as a record: _id is the id, missing fields take defaults', () => {
  const stored = {
    _id: 'seg-1',
    channelId: '34020000001310000001',
    deviceId: '34020000001180000001',
    start: 1000,
    end: 61_000,
    path: '34020000001310000001/2024-01-15/080000.ts',
    bytes: 15_000_000,
    videoCodec: 'h265',
    audioCodec: 'g711a',
    width: 1920,
    height: 1080,
    locked: true,
    createdAt: 61_050,
  };
  const segment = toRecordingSegment(stored);
  const { _id, ...fields } = stored;
  assert.deepEqual(segment, { id: _id, ...fields });
  assert.deepEqual(recordingSegmentFields(segment), fields, 'and is written back without the id');
  const sparse = toRecordingSegment({ _id: 'seg-2', channelId: 'c', start: 5, end: 6, ...({ __v: 0 } as object) });
  assert.deepEqual([sparse.audioCodec, sparse.width, sparse.height, sparse.locked], [null, null, null, false]);
  assert.ok(!('_id' in sparse) && !('__v' in sparse));
});
