/**
 * The device's own recordings: Playback and Download INVITEs to a simulated camera, MANSRTSP
 * control over INFO, and the end of the session at the device's MediaStatus 121. Real server,
 * real sockets, ffmpeg reading the stream the platform serves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import { hasFfmpeg } from '../media/helpers/media-files';
import { run, videoPacketFlags } from '../media/out/http/helpers/clients';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera, type LiveStreamBody } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

interface DeviceSession extends LiveStreamBody {
  kind: string;
  range: { start: number; end: number } | null;
}

describe("playback of a device's own recordings", { skip }, () => {
  let server: TestServer;
  let cam: SimDevice;
  let channelId = '';

  before(async () => {
    server = await startTestServer();
    cam = camera(server);
    channelId = await onlineCamera(server, cam);
  });
  after(async () => {
    await cam.stop();
    await server.stop();
  });

  async function open(body: Record<string, unknown>): Promise<{ status: number; json: DeviceSession }> {
    const res = await server.api(`/api/v1/channels/${channelId}/device-playback`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as DeviceSession };
  }

  test('a Playback INVITE with the range plays through the live outputs, is controlled by INFO, and ends at MediaStatus 121', async () => {
    const end = Date.now() - 3_600_000;
    const start = end - 8000;
    const { status, json } = await open({ start, end, transport: 'udp' });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.kind, 'playback');
    assert.match(json.streamId, new RegExp(`^${channelId}_device-\\d+$`));
    assert.deepEqual(json.range, { start, end });
    const sent = cam.streamStats().find((s) => s.session === 'playback');
    assert.equal(sent?.rangeStart, Math.floor(start / 1000));
    assert.equal(sent?.rangeEnd, Math.ceil(end / 1000));
    assert.match(json.offeredSsrc, /^1/, 'history sessions use SSRCs that start with 1');

    const file = join(server.dataDir, 'device-playback.flv');
    const rec = await run('ffmpeg', ['-v', 'error', '-y', '-i', json.urls.httpFlv, '-t', '1', '-c', 'copy', file], 15000);
    assert.equal(rec.code, 0, rec.stderr);
    assert.ok((await videoPacketFlags(file))[0]?.startsWith('K'));

    const control = async (body: object) => server.api(`/api/v1/device-playback/${json.streamId}`, { method: 'PATCH', body: JSON.stringify(body) });
    assert.equal((await control({ action: 'pause' })).status, 200);
    assert.equal((await control({ action: 'speed', speed: 4 })).status, 200);
    assert.equal((await control({ action: 'resume' })).status, 200);
    await waitFor(() => cam.streamStats().find((s) => s.session === 'playback')?.infoCommands.length === 3, 2000, 'three INFOs at the camera');
    const stats = cam.streamStats().find((s) => s.session === 'playback');
    assert.deepEqual(stats?.infoCommands, ['PAUSE', 'PLAY', 'PLAY']);
    assert.equal(stats?.scale, 4);

    // At 4x the rest of the 8 s range is sent in about a second; then MediaStatus 121 ends the session.
    await waitFor(async () => (await server.api(`/api/v1/device-playback/${json.streamId}`)).status === 404, 10_000, 'the end of the session');
    const events = (await (await server.api('/api/v1/streams/events')).json()) as { items: Array<{ streamId: string; reason: string }> };
    assert.equal(events.items.find((e) => e.streamId === json.streamId)?.reason, 'end-of-file');
    await waitFor(() => cam.streamStats().find((s) => s.session === 'playback')?.endReason === 'bye-received', 3000, 'the BYE at the camera');
  });

  test('a Download INVITE asks for the download speed and ends when the device says so', async () => {
    const end = Date.now() - 7_200_000;
    const { status, json } = await open({ start: end - 4000, end, download: true, downloadSpeed: 4 });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.kind, 'download');
    const t0 = Date.now();
    await waitFor(async () => (await server.api(`/api/v1/device-playback/${json.streamId}`)).status === 404, 10_000, 'the end of the download');
    assert.ok(Date.now() - t0 < 3500, '4 s of footage at 4x takes about a second');
    assert.equal(cam.streamStats().find((s) => s.session === 'download')?.mediaStatusSent, true);
  });

  test('a download can be kept as an export: one MP4 of the range with its hash', async () => {
    const end = Date.now() - 10_800_000;
    const { status, json } = await open({ start: end - 4000, end, download: true, downloadSpeed: 4, save: true });
    assert.equal(status, 200, JSON.stringify(json));
    const exportId = (json as unknown as { exportId: string | null }).exportId;
    assert.ok(exportId !== null);
    const job = await waitFor(async () => {
      const j = (await (await server.api(`/api/v1/exports/${exportId}`)).json()) as { state: string; source?: { kind: string; url?: string }; result?: { sha256: string; durationMs: number } };
      if (j.state === 'failed') throw new Error(JSON.stringify(j));
      return j.state === 'done' ? j : null;
    }, 15_000, 'the saved download');
    assert.equal(job.source?.kind, 'stream');
    assert.equal(job.source?.url, undefined, 'the internal URL and its token are not shown');
    const file = await server.api(`/api/v1/exports/${exportId}/file`);
    const bytes = Buffer.from(await file.arrayBuffer());
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(bytes).digest('hex'), job.result?.sha256);
    const { writeFileSync } = await import('node:fs');
    const out = join(server.dataDir, 'download.mp4');
    writeFileSync(out, bytes);
    const probed = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', out]);
    const info = JSON.parse(probed.stdout) as { format: { duration: string }; streams: Array<{ codec_name: string }> };
    assert.equal(info.streams[0]?.codec_name, 'h264');
    const seconds = Number(info.format.duration);
    assert.ok(seconds >= 3 && seconds <= 5, `the 4 s range, at its own pace though sent at 4x: ${seconds}`);
  });

  test('bad requests and unknown sessions get clear errors', async () => {
    assert.equal((await open({ start: 2000, end: 1000 })).status, 400);
    assert.equal((await open({ start: 0, end: 2 * 86_400_000 })).status, 400);
    assert.equal((await server.api('/api/v1/device-playback/34020000001310000001_device-999', { method: 'PATCH', body: '{"action":"pause"}' })).status, 404);
    assert.equal((await server.api('/api/v1/device-playback/nonsense', { method: 'DELETE' })).status, 400);
  });
});
