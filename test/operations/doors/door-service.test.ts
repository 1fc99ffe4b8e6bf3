import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/logger';
import { maskIdentifier, maskName } from '../../../src/operations/audit/mask';
import { DoorService, UnknownDoorDeviceError } from '../../../src/operations/doors/door-service';
import { PhotoFiles } from '../../../src/operations/doors/photos';
import { presentDoorRecord } from '../../../src/operations/doors/present';
import { SqliteDoorRecordStore } from '../../../src/operations/doors/store-sqlite';
import type { DoorEventInput, DoorRecord } from '../../../src/operations/doors/types';
import type { Channel, Page, RecordingCoverage, RecordingQuery } from '../../../src/storage/types';
import { MemoryDirectory, cam, door, memoryDatabase } from '../faults/fixtures';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The index as the door service reads it: no channels listed, recordings only for the given channel. */
function fakeIndex(recordedChannel: string | null) {
  return {
    async listChannels(): Promise<Page<Channel>> {
      return { items: [], total: 0 };
    },
    async recordingCoverage(q: RecordingQuery): Promise<RecordingCoverage> {
      const ranges = q.channelId === recordedChannel ? [{ start: q.from + 2000, end: q.to }] : [];
      return { ranges, gaps: [], segments: ranges.length, bytes: 0 };
    },
  };
}

function rig(options: { recordedChannel?: string; retentionDays?: number } = {}) {
  const photoDir = mkdtempSync(join(tmpdir(), 'gbvms-door-photos-'));
  dirs.push(photoDir);
  const directory = new MemoryDirectory();
  directory.add('B1', { door: door(1), cameras: [cam(1, 1), cam(1, 2)] });
  const seen: DoorRecord[] = [];
  let clock = NOW;
  const service = new DoorService(new SqliteDoorRecordStore(memoryDatabase()), directory, fakeIndex(options.recordedChannel ?? null), new PhotoFiles(photoDir), silentLogger(), {
    footageBeforeMs: 10_000,
    footageAfterMs: 20_000,
    retentionMs: (options.retentionDays ?? 30) * DAY,
    sweepIntervalMs: 0,
    timeZone: 'Asia/Shanghai',
    now: () => clock,
    onRecord: async (r) => {
      seen.push(r);
    },
  });
  return { service, photoDir, seen, setClock: (t: number) => (clock = t) };
}

const event = (over: Partial<DoorEventInput> = {}): DoorEventInput => ({
  eventId: 'e-1', source: 'rest', deviceId: door(1), doorId: null, time: NOW - 1000, kind: 'unlock', method: 'card', direction: 'in',
  cardNumber: '6217001234567890', personId: 'P-1', personName: '张三', photo: null, description: null, ...over,
});

const photoFiles = (root: string): string[] => readdirSync(root, { recursive: true }).map(String).filter((f) => f.includes('.'));

describe('door-entry records', () => {
  test('an event is stored with its building and the building cameras; a retry returns the stored record', async () => {
    const { service, seen } = rig();
    const first = await service.ingest(event());
    assert.equal(first.created, true);
    assert.equal(first.record.buildingId, 'B1');
    assert.deepEqual(first.record.cameraChannels, [cam(1, 1), cam(1, 2)]);
    const again = await service.ingest(event({ time: NOW }));
    assert.equal(again.created, false);
    assert.equal(again.record.id, first.record.id);
    assert.equal(again.record.time, NOW - 1000, 'the first copy wins');
    assert.equal(seen.length, 1, 'the watchlist sees each event once');
  });

  test('an event from a device of no building is refused', async () => {
    const { service } = rig();
    await assert.rejects(service.ingest(event({ deviceId: '34020000001249999999' })), UnknownDoorDeviceError);
  });

  test('a photo is kept as a file; a duplicate does not leave a second file', async () => {
    const { service, photoDir } = rig();
    const { record } = await service.ingest(event({ photo: JPEG }));
    assert.match(record.photo ?? '', /^2026-11-26\/[0-9a-f-]+\.jpg$/);
    await service.ingest(event({ photo: JPEG }));
    assert.deepEqual(photoFiles(photoDir), [record.photo]);
  });

  test('footage links: platform playback where recorded, device playback elsewhere, over the configured window', async () => {
    const { service } = rig({ recordedChannel: cam(1, 2) });
    const { record } = await service.ingest(event());
    const links = await service.footage(record);
    assert.deepEqual(links.map((l) => [l.channelId, l.source]), [[cam(1, 1), 'device'], [cam(1, 2), 'platform']]);
    assert.deepEqual(links[0]?.open, { method: 'POST', path: `/api/v1/channels/${cam(1, 1)}/device-playback`, body: { start: record.time - 10_000, end: record.time + 20_000 } });
    assert.deepEqual(links[1]?.open.body, { start: record.time - 8000 });
    assert.equal(links[1]?.coverage, `/api/v1/channels/${cam(1, 2)}/recordings?start=${record.time - 10_000}&end=${record.time + 20_000}`);
  });

  test('records past the retention period go with their photos; newer ones stay', async () => {
    const { service, photoDir } = rig({ retentionDays: 30 });
    const old = await service.ingest(event({ eventId: 'old', time: NOW - 31 * DAY, photo: JPEG }));
    const edge = await service.ingest(event({ eventId: 'edge', time: NOW - 30 * DAY + 1 }));
    const fresh = await service.ingest(event({ eventId: 'fresh', time: NOW, photo: JPEG }));
    assert.equal(photoFiles(photoDir).length, 2);
    assert.equal(await service.sweep(NOW), 1);
    assert.equal(await service.get(old.record.id), null);
    assert.ok(await service.get(edge.record.id));
    assert.ok(await service.get(fresh.record.id));
    assert.equal(existsSync(join(photoDir, old.record.photo ?? 'x')), false);
    assert.deepEqual(photoFiles(photoDir), [fresh.record.photo]);
    assert.equal(await service.sweep(NOW), 0);
  });

  test('queries filter by building, person, card, method and time, newest first', async () => {
    const { service } = rig();
    await service.ingest(event({ eventId: 'a', time: NOW - 3000, method: 'face', cardNumber: null }));
    await service.ingest(event({ eventId: 'b', time: NOW - 1000, personId: 'P-2' }));
    await service.ingest(event({ eventId: 'c', time: NOW - 2000, cardNumber: 'C-9' }));
    const ids = async (q: object) => (await service.list({ offset: 0, limit: 10, ...q })).items.map((r) => r.eventId);
    assert.deepEqual(await ids({}), ['b', 'c', 'a']);
    assert.deepEqual(await ids({ method: 'face' }), ['a']);
    assert.deepEqual(await ids({ personId: 'P-2' }), ['b']);
    assert.deepEqual(await ids({ cardNumber: 'C-9' }), ['c']);
    assert.deepEqual(await ids({ from: NOW - 2500, to: NOW - 1000 }), ['c']);
    assert.deepEqual(await ids({ buildingId: 'B2' }), []);
  });

  test('lists mask card and person IDs to their last 4 characters and names to their first', () => {
    assert.equal(maskIdentifier('6217001234567890'), '************7890');
    assert.equal(maskIdentifier('P-7'), '**7');
    assert.equal(maskIdentifier('12'), '**');
    assert.equal(maskName('欧阳修'), '欧**');
    assert.equal(maskName('李'), '*');
    const record = { ...event(), photo: 'x.jpg', id: 'r1', buildingId: 'B1', receivedAt: NOW, cameraChannels: [], description: 'card=6217001234567890' };
    const masked = presentDoorRecord(record, false, []);
    assert.deepEqual([masked.cardNumber, masked.personId, masked.personName, masked.description, masked.masked], ['************7890', '**1', '张*', '(masked)', true]);
    const whole = presentDoorRecord(record, true, []);
    assert.deepEqual([whole.cardNumber, whole.personName, whole.masked, whole.photoUrl], ['6217001234567890', '张三', false, '/api/v1/door-events/r1/photo']);
  });
});
