/**
 * Snapshots end to end: a 2022 camera uploads its pictures to the URL the server gives it and
 * reports UploadSnapShotFinished; a 2016 camera (or one that ignores the command) gets a frame
 * cut from its live stream by FFmpeg. ffprobe reads what the API serves.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import { hasFfmpeg } from '../media/helpers/media-files';
import { API_TOKEN, startTestServer, type TestServer } from '../helpers/server';
import { camera, onlineCamera } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

interface SnapshotBody {
  id: string;
  channelId: string;
  deviceId: string;
  source: string;
  bytes: number;
  width: number | null;
  height: number | null;
  sessionId: string | null;
  fileId: string | null;
  time: number;
  image: string;
}

interface CaptureBody {
  source: string;
  fallbackReason?: string;
  items: SnapshotBody[];
  error?: { code: string; message: string };
}

function probeJpeg(bytes: Buffer): { codec: string; width: number; height: number } {
  const out = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', '-i', 'pipe:0'], { input: bytes });
  assert.equal(out.status, 0, out.stderr.toString());
  const stream = (JSON.parse(out.stdout.toString()) as { streams: Array<{ codec_name: string; width: number; height: number }> }).streams[0];
  assert.ok(stream);
  return { codec: stream.codec_name, width: stream.width, height: stream.height };
}

describe('snapshots of a channel', { skip }, () => {
  let server: TestServer;
  const sims: SimDevice[] = [];

  before(async () => {
    server = await startTestServer({ 'snapshots.deviceTimeoutMs': 1500, 'snapshots.maxPerChannel': 3, 'live.transport': 'udp' });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
  });

  async function newCamera(options: Parameters<typeof camera>[1] = {}): Promise<{ cam: SimDevice; channelId: string }> {
    const cam = camera(server, options);
    sims.push(cam);
    return { cam, channelId: await onlineCamera(server, cam) };
  }

  async function capture(channelId: string, body: Record<string, unknown> = {}): Promise<{ status: number; json: CaptureBody }> {
    const res = await server.api(`/api/v1/channels/${channelId}/snapshots`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as CaptureBody };
  }

  async function image(s: SnapshotBody): Promise<Buffer> {
    const res = await server.api(s.image);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    return Buffer.from(await res.arrayBuffer());
  }

  test('a 2022 camera uploads two pictures (raw body and form) and reports them; the API serves JPEGs ffprobe reads', async () => {
    const { cam, channelId } = await newCamera();
    const { status, json } = await capture(channelId, { mode: 'device', count: 2, intervalSec: 1 });
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.source, 'device');
    assert.equal(json.items.length, 2);
    const record = cam.snapshots.records[0];
    assert.ok(record);
    assert.match(record.uploadUrl, /^http:\/\/127\.0\.0\.1:\d+\/upload\/snapshots\/[\w-]{43}$/);
    assert.match(record.sessionId, /^[0-9a-f]{48}$/);
    assert.deepEqual(record.uploadStatuses, [200, 200]);
    for (const [i, item] of json.items.entries()) {
      assert.equal(item.source, 'device');
      assert.equal(item.channelId, channelId);
      assert.equal(item.deviceId, cam.deviceId);
      assert.equal(item.sessionId, record.sessionId);
      assert.equal(item.fileId, record.fileIds[i]);
      assert.deepEqual([item.width, item.height], [640, 360]);
      const jpeg = await image(item);
      assert.equal(jpeg.length, item.bytes);
      assert.deepEqual(probeJpeg(jpeg), { codec: 'mjpeg', width: 640, height: 360 });
    }
    const meta = (await (await server.api(`/api/v1/snapshots/${json.items[0]?.id}`)).json()) as SnapshotBody;
    assert.equal(meta.id, json.items[0]?.id);
    assert.equal((meta as unknown as Record<string, unknown>).path, undefined, 'the file path stays inside');
    const list = (await (await server.api(`/api/v1/channels/${channelId}/snapshots?from=${Date.now() - 60000}`)).json()) as { items: SnapshotBody[] };
    assert.deepEqual(list.items.map((s) => s.id).sort(), json.items.map((s) => s.id).sort());
    assert.ok(existsSync(join(server.dataDir, 'snapshots', channelId)), 'stored under <dataDir>/snapshots/<channelId>');

    // The upload URL only works while its request waits, and never for a guessed token.
    const late = await fetch(record.uploadUrl, { method: 'POST', body: await image(json.items[0] as SnapshotBody), headers: { 'content-type': 'image/jpeg' } });
    assert.equal(late.status, 404);
  });

  test('a 2016 camera gets its picture from the live stream at the camera resolution', async () => {
    const { cam, channelId } = await newCamera({ gbVersion: '2016' });
    const { status, json } = await capture(channelId);
    assert.equal(status, 201, JSON.stringify(json));
    assert.equal(json.source, 'stream');
    assert.match(json.fallbackReason ?? '', /2016/);
    const item = json.items[0];
    assert.ok(item);
    assert.deepEqual([item.width, item.height], [640, 360]);
    assert.deepEqual(probeJpeg(await image(item)), { codec: 'mjpeg', width: 640, height: 360 });
    assert.equal(cam.snapshots.records.length, 0, 'no snapshot command was asked of a 2016 camera');
  });

  test('a camera that ignores the command falls back to the stream in auto mode, and is a 504 in device mode', async () => {
    const { channelId } = await newCamera({ quirks: { ignoreSnapshot: true } });
    const t0 = Date.now();
    const auto = await capture(channelId, { mode: 'auto' });
    assert.equal(auto.status, 201, JSON.stringify(auto.json));
    assert.equal(auto.json.source, 'stream');
    assert.match(auto.json.fallbackReason ?? '', /did not answer/);
    assert.ok(Date.now() - t0 < 10000);
    const device = await capture(channelId, { mode: 'device' });
    assert.equal(device.status, 504, JSON.stringify(device.json));
  });

  test('retention keeps the newest pictures per channel; errors are 404, 409 and 400', async () => {
    const { cam, channelId } = await newCamera();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await capture(channelId, { mode: 'stream' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      ids.push(...r.json.items.map((s) => s.id));
    }
    const list = (await (await server.api(`/api/v1/channels/${channelId}/snapshots`)).json()) as { items: SnapshotBody[] };
    assert.deepEqual(list.items.map((s) => s.id), ids.slice(1).reverse(), 'maxPerChannel 3: the oldest is gone, newest first');
    assert.equal((await server.api(`/api/v1/snapshots/${ids[0]}`)).status, 404);

    assert.equal((await capture('34020000001329999999')).status, 404);
    assert.equal((await capture(channelId, { mode: 'sideways' })).status, 400);
    assert.equal((await server.api('/api/v1/snapshots/not-an-id')).status, 400);
    await cam.unregister();
    assert.equal((await capture(channelId, { mode: 'device' })).status, 409);
    // Upload URLs need no API token but a valid session token; the image needs the API token.
    const bogus = await fetch(`http://127.0.0.1:${server.httpPort}/upload/snapshots/${'A'.repeat(43)}`, { method: 'POST', body: 'x' });
    assert.equal(bogus.status, 404);
    const unauth = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/snapshots/${ids[3]}/image`);
    assert.equal(unauth.status, 401);
    assert.notEqual(API_TOKEN, '');
  });
});
