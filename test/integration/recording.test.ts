/**
 * Platform recording end to end: a plan makes the real server INVITE a simulated camera, keep the
 * stream running and write MPEG-TS segments; the index answers ranges and gaps; ffprobe plays the
 * files; a camera that hangs up is invited again; locks keep footage from the retention sweeper.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import { hasFfmpeg } from '../media/helpers/media-files';
import { ffprobeStreams, run, videoPacketFlags } from '../media/out/http/helpers/clients';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

interface Coverage {
  ranges: Array<{ start: number; end: number }>;
  gaps: Array<{ start: number; end: number }>;
  segments: number;
  bytes: number;
  segmentList?: Array<{ id: string; path: string; start: number; end: number; locked: boolean; videoCodec: string; width: number | null }>;
}

describe('recording a camera to disk', { skip }, () => {
  let server: TestServer;
  let cam: SimDevice;
  let channelId = '';
  const t0 = Date.now();

  before(async () => {
    server = await startTestServer({ 'record.segmentSeconds': 5, 'record.planCheckSec': 1, 'record.minFreeBytes': 0, 'live.idleStopSec': 1 });
    cam = camera(server);
    channelId = await onlineCamera(server, cam);
  });
  after(async () => {
    await cam.stop();
    await server.stop();
  });

  async function coverage(segments = false): Promise<Coverage> {
    const res = await server.api(`/api/v1/channels/${channelId}/recordings?start=${t0 - 60_000}&end=${Date.now() + 60_000}${segments ? '&segments=true' : ''}`);
    assert.equal(res.status, 200);
    return (await res.json()) as Coverage;
  }

  test('a continuous plan records segments that are indexed, tile in time and play', async () => {
    const put = await server.api(`/api/v1/channels/${channelId}/recording-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'continuous', retentionDays: 7 }) });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { recording: boolean }).recording, true);
    const stream = (await (await server.api(`/api/v1/streams/${channelId}`)).json()) as { keepRunning: boolean };
    assert.equal(stream.keepRunning, true, 'a recorded stream keeps running without viewers');

    await waitFor(async () => (await coverage()).segments >= 2, 25_000, 'two segments indexed');
    const cov = await coverage(true);
    const list = cov.segmentList ?? [];
    assert.equal(cov.ranges.length, 1, `segments tile into one range: ${JSON.stringify(cov.ranges)}`);
    for (const [i, seg] of list.entries()) {
      assert.equal(seg.videoCodec, 'h264');
      assert.equal(seg.width, 640);
      assert.ok(seg.end - seg.start >= 4000 && seg.end - seg.start <= 9000, `segment ${i} lasts about 5-8 s: ${seg.end - seg.start}`);
      if (i > 0) assert.ok(Math.abs(seg.start - (list[i - 1]?.end ?? 0)) <= 1000, 'no gap or overlap between segments');
    }
    const first = list[0];
    assert.ok(first !== undefined);
    const file = join(server.dataDir, 'footage', first.path);
    assert.match(first.path, new RegExp(`^${channelId}/\\d{4}-\\d{2}-\\d{2}/${channelId}_\\d+\\.ts$`));
    const video = (await ffprobeStreams(file)).find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    assert.equal(decode.code, 0);
    assert.equal(decode.stderr.trim(), '', 'the segment decodes without errors');
  });

  test('an export across a segment boundary is one MP4 of the asked range (within a GOP), with its hash', async () => {
    const list = (await coverage(true)).segmentList ?? [];
    const [a, b] = list;
    assert.ok(a !== undefined && b !== undefined);
    const start = a.end - 2500;
    const end = b.start + 2500;
    const created = await server.api('/api/v1/exports', { method: 'POST', body: JSON.stringify({ channelId, start, end }) });
    assert.equal(created.status, 202);
    const job = (await created.json()) as { id: string };
    const done = await waitFor(async () => {
      const j = (await (await server.api(`/api/v1/exports/${job.id}`)).json()) as { state: string; progress: number; result?: { sha256: string; startedAt: number } };
      if (j.state === 'failed') throw new Error(JSON.stringify(j));
      return j.state === 'done' ? j : null;
    }, 15_000, 'the export job');
    assert.equal(done.progress, 1);
    const file = await server.api(`/api/v1/exports/${job.id}/file`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await file.arrayBuffer());
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(bytes).digest('hex'), done.result?.sha256);
    assert.equal(file.headers.get('x-content-sha256'), done.result?.sha256);
    const { writeFileSync } = await import('node:fs');
    const out = join(server.dataDir, 'export-check.mp4');
    writeFileSync(out, bytes);
    const probed = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', out]);
    const info = JSON.parse(probed.stdout) as { format: { duration: string }; streams: Array<{ codec_name: string }> };
    assert.equal(info.streams[0]?.codec_name, 'h264');
    const seconds = Number(info.format.duration);
    // 5 s asked; the clip starts at the key frame before the start (GOP 2 s) and ends at the end.
    assert.ok(seconds >= 4.8 && seconds <= 7.2, `the clip lasts the asked 5 s within one GOP: ${seconds}`);
    const verify = (await (await server.api(`/api/v1/exports/${job.id}/verify`)).json()) as { unchanged: boolean };
    assert.equal(verify.unchanged, true);
    const none = await server.api('/api/v1/exports', { method: 'POST', body: JSON.stringify({ channelId, start: t0 - 3_600_000, end: t0 - 3_000_000 }) });
    const failed = await waitFor(async () => {
      const j = (await (await server.api(`/api/v1/exports/${((await none.clone().json()) as { id: string }).id}`)).json()) as { state: string; error?: { code: string } };
      return j.state === 'failed' ? j : null;
    }, 5000, 'the export without footage to fail');
    assert.equal(failed.error?.code, 'no-footage');
  });

  test('platform recordings play back through the live outputs, with pause, seek and speed', async () => {
    const [a] = (await coverage(true)).segmentList ?? [];
    assert.ok(a !== undefined);
    const opened = await server.api(`/api/v1/channels/${channelId}/playback`, { method: 'POST', body: JSON.stringify({ start: a.start + 1000 }) });
    assert.equal(opened.status, 200, await opened.clone().text());
    const pb = (await opened.json()) as { streamId: string; state: string; urls: { httpFlv: string; rtsp: string } };
    assert.match(pb.streamId, new RegExp(`^${channelId}_playback-\\d+$`));
    const flv = join(server.dataDir, 'playback.flv');
    const rec = await run('ffmpeg', ['-v', 'error', '-y', '-i', pb.urls.httpFlv, '-t', '2', '-c', 'copy', flv], 15000);
    assert.equal(rec.code, 0, rec.stderr);
    const flags = await videoPacketFlags(flv);
    assert.ok(flags[0]?.startsWith('K'), 'playback starts at a key frame');
    assert.ok(flags.length >= 35 && flags.length <= 65, `about 2 s of frames at 1x: ${flags.length}`);
    const rtsp = (await ffprobeStreams(pb.urls.rtsp, ['-rtsp_transport', 'tcp'])).find((st) => st.codec_type === 'video');
    assert.equal(rtsp?.codec_name, 'h264');

    const control = async (body: object) => server.api(`/api/v1/playback/${pb.streamId}`, { method: 'PATCH', body: JSON.stringify(body) });
    assert.equal(((await (await control({ action: 'pause' })).json()) as { state: string }).state, 'paused');
    assert.equal(((await (await control({ action: 'resume' })).json()) as { state: string }).state, 'playing');
    assert.equal(((await (await control({ action: 'speed', speed: 4 })).json()) as { speed: number }).speed, 4);
    assert.equal((await control({ action: 'seek', time: a.start })).status, 200);
    assert.equal((await control({ action: 'speed', speed: 16 })).status, 400);
    assert.equal((await server.api(`/api/v1/playback/${pb.streamId}`, { method: 'DELETE' })).status, 204);
    assert.equal((await server.api(`/api/v1/playback/${pb.streamId}`)).status, 404);
    const none = await server.api(`/api/v1/channels/${channelId}/playback`, { method: 'POST', body: JSON.stringify({ start: Date.now() + 3_600_000 }) });
    assert.equal(none.status, 404);
  });

  test('a camera that hangs up is invited again and recording goes on', async () => {
    const before = cam.streamStats().length;
    await cam.hangup(channelId);
    await waitFor(() => cam.streamStats().filter((s) => s.state === 'sending').length === 1 && cam.streamStats().length > before, 15_000, 'a new INVITE');
    const count = (await coverage()).segments;
    await waitFor(async () => (await coverage()).segments > count, 20_000, 'new segments after the re-invite');
  });

  test('a camera that goes offline is invited again as soon as it is back, not after its retry backoff', async () => {
    await cam.unregister();
    await cam.hangup(channelId);
    // Plan passes now fail (the camera is offline) and back off for 10 s.
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 5000, 'the stream gone');
    await new Promise((r) => setTimeout(r, 1500));
    const invites = cam.streamStats().length;
    const back = Date.now();
    assert.equal((await cam.register()).status, 200);
    await waitFor(() => cam.streamStats().length > invites, 8000, 'an INVITE after the camera is back');
    assert.ok(Date.now() - back < 8000, `invited ${Date.now() - back} ms after registering, inside the 10 s backoff`);
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 200, 5000, 'the recorded stream running again');
  });

  test('stopping the recording closes the segment being written and lets the stream stop', async () => {
    const stop = await server.api(`/api/v1/channels/${channelId}/recording/stop`, { method: 'POST' });
    assert.equal(stop.status, 200);
    assert.equal(((await stop.json()) as { enabled: boolean; recording: boolean }).enabled, false);
    const files = (await coverage(true)).segmentList ?? [];
    for (const seg of files) assert.ok(existsSync(join(server.dataDir, 'footage', seg.path)), `${seg.path} is on disk`);
    await waitFor(async () => (await server.api(`/api/v1/streams/${channelId}`)).status === 404, 5000, 'the idle stop once nobody needs the stream');
  });

  test('locked footage survives retention; the rest is deleted with its files', async () => {
    const list = (await coverage(true)).segmentList ?? [];
    assert.ok(list.length >= 3);
    const keep = list[1];
    assert.ok(keep !== undefined);
    const lock = await server.api(`/api/v1/channels/${channelId}/recordings/lock`, {
      method: 'POST',
      body: JSON.stringify({ start: keep.start + 100, end: keep.start + 200, locked: true }),
    });
    assert.equal(((await lock.json()) as { segments: number }).segments, 1);
    const result = await server.app.footage.retention.sweep(Date.now() + 8 * 86_400_000);
    assert.equal(result.deleted, list.length - 1);
    const left = (await coverage(true)).segmentList ?? [];
    assert.deepEqual(
      left.map((s) => s.id),
      [keep.id],
    );
    for (const seg of list) assert.equal(existsSync(join(server.dataDir, 'footage', seg.path)), seg.id === keep.id);
  });

  test('export jobs and their hashes survive a restart', async () => {
    const before = (await (await server.api('/api/v1/exports')).json()) as { items: Array<{ id: string; state: string; result?: { sha256: string } }> };
    const done = before.items.find((j) => j.state === 'done');
    assert.ok(done !== undefined);
    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    server = await startTestServer({ 'record.minFreeBytes': 0 }, { dataDir });
    const after = (await (await server.api(`/api/v1/exports/${done.id}`)).json()) as { state: string; result?: { sha256: string } };
    assert.equal(after.state, 'done');
    assert.equal(after.result?.sha256, done.result?.sha256);
    const verify = (await (await server.api(`/api/v1/exports/${done.id}/verify`)).json()) as { unchanged: boolean };
    assert.equal(verify.unchanged, true);
  });

  test('bad requests get clear errors', async () => {
    const reversed = await server.api(`/api/v1/channels/${channelId}/recordings?start=${t0}&end=${t0 - 1}`);
    assert.equal(reversed.status, 400);
    const tooLong = await server.api(`/api/v1/channels/${channelId}/recordings?start=0&end=${400 * 86_400_000}`);
    assert.equal(tooLong.status, 400);
    const unknown = await server.api('/api/v1/channels/34020000001310009999/recording-plan', { method: 'PUT', body: JSON.stringify({ mode: 'continuous' }) });
    assert.equal(unknown.status, 404);
    const badWindow = await server.api(`/api/v1/channels/${channelId}/recording-plan`, {
      method: 'PUT',
      body: JSON.stringify({ mode: 'schedule', windows: [{ day: 1, start: '18:00', end: '08:00' }] }),
    });
    assert.equal(badWindow.status, 400);
    const noWindows = await server.api(`/api/v1/channels/${channelId}/recording-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'schedule' }) });
    assert.equal(noWindows.status, 400);
  });
});
