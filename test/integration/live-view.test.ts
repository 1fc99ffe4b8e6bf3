/**
 * Live view end to end: the real server (SIP, media worker, API) INVITEs simulated cameras that
 * send FFmpeg-made video as PS over RTP, and real players (ffprobe/ffmpeg, a WebSocket client)
 * read every output.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import { hasFfmpeg } from '../media/helpers/media-files';
import { collectHttp, collectWs, ffprobeStreams, run, videoPacketFlags } from '../media/out/http/helpers/clients';
import { isKeyFrameTag, isVideoFrameTag, readFlvPrefix } from '../media/out/http/helpers/flv-reader';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera, startLive, streamCount } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

describe('live view of a camera through every output', { skip }, () => {
  let server: TestServer;
  const sims: SimDevice[] = [];
  const work = mkdtempSync(join(tmpdir(), 'gbvms-live-'));

  before(async () => {
    server = await startTestServer({ 'live.inviteTimeoutMs': 3000, 'live.readyTimeoutMs': 5000 });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function newCamera(options: Parameters<typeof camera>[1] = {}): Promise<{ cam: SimDevice; channelId: string }> {
    const cam = camera(server, options);
    sims.push(cam);
    return { cam, channelId: await onlineCamera(server, cam) };
  }

  for (const transport of ['udp', 'tcp-passive', 'tcp-active'] as const) {
    test(`a camera streams over ${transport}: the API answers once video flows and ffprobe reads the HTTP-FLV URL`, async () => {
      const { cam, channelId } = await newCamera();
      const started = Date.now();
      const { status, json } = await startLive(server, channelId, { transport });
      assert.equal(status, 200, JSON.stringify(json));
      assert.ok(Date.now() - started < 3000, 'a camera that answers at once plays within 3 s');
      assert.equal(json.state, 'live');
      assert.equal(json.transport, transport, JSON.stringify(json));
      assert.equal(json.media?.videoCodec, 'h264');
      assert.equal(json.media?.width, 640);
      assert.equal(json.media?.height, 360);
      assert.match(json.urls.httpFlv, /^http:\/\/127\.0\.0\.1:\d+\/live\/\d{20}\.flv\?token=\d+\.[\w-]+$/);
      const streams = await ffprobeStreams(json.urls.httpFlv);
      const video = streams.find((s) => s.codec_type === 'video');
      assert.equal(video?.codec_name, 'h264');
      assert.equal(video?.width, 640);
      const sent = cam.streamStats().find((s) => s.channelId === channelId && s.state === 'sending');
      assert.equal(sent?.transport, transport, JSON.stringify(cam.streamStats()));

      const del = await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      await waitFor(() => cam.streamStats().find((s) => s.callId === sent?.callId)?.endReason === 'bye-received', 3000, 'the BYE at the camera');
      assert.equal((await server.api(`/api/v1/channels/${channelId}/live`)).status, 404);
    });
  }

  test('one stream per channel: concurrent and later requests share it; the camera gets one INVITE', async () => {
    const { cam, channelId } = await newCamera();
    const [a, b] = await Promise.all([startLive(server, channelId), startLive(server, channelId)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const c = await startLive(server, channelId);
    assert.equal(c.json.startedAt, a.json.startedAt);
    assert.equal(cam.streamStats().filter((s) => s.channelId === channelId).length, 1);
    const list = (await (await server.api('/api/v1/streams')).json()) as { items: Array<{ channelId: string }> };
    assert.equal(list.items.filter((s) => s.channelId === channelId).length, 1);
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
  });

  test('every output plays the same stream: HTTP-FLV frames from a key frame, WS-FLV, HLS, RTSP over TCP and UDP', async () => {
    const { channelId } = await newCamera();
    const { status, json } = await startLive(server, channelId);
    assert.equal(status, 200);

    const flvFile = join(work, 'http.flv');
    const rec = await run('ffmpeg', ['-v', 'error', '-y', '-i', json.urls.httpFlv, '-t', '2', '-c', 'copy', flvFile], 15000);
    assert.equal(rec.code, 0, rec.stderr);
    const flags = await videoPacketFlags(flvFile);
    assert.ok(flags.length >= 40 && flags.length <= 60, `about 50 frames in 2 s at 25 fps, got ${flags.length}`);
    assert.ok(flags[0]?.startsWith('K'), 'the first frame a new viewer gets is a key frame');

    const ws = Buffer.concat(await collectWs(json.urls.wsFlv, 1500));
    const prefix = readFlvPrefix(ws);
    assert.equal(prefix.signature, 'FLV');
    const firstVideo = prefix.tags.find(isVideoFrameTag);
    assert.ok(firstVideo !== undefined && isKeyFrameTag(firstVideo), 'WS-FLV starts at a key frame');
    const wsFile = join(work, 'ws.flv');
    writeFileSync(wsFile, ws);
    assert.equal((await ffprobeStreams(wsFile)).find((s) => s.codec_type === 'video')?.codec_name, 'h264');

    const hls = (await ffprobeStreams(json.urls.hls)).find((s) => s.codec_type === 'video');
    assert.equal(hls?.codec_name, 'h264');
    assert.equal(hls?.height, 360);

    for (const rtspTransport of ['tcp', 'udp']) {
      const rtsp = (await ffprobeStreams(json.urls.rtsp, ['-rtsp_transport', rtspTransport])).find((s) => s.codec_type === 'video');
      assert.equal(rtsp?.codec_name, 'h264', `RTSP over ${rtspTransport}`);
      assert.equal(rtsp?.width, 640);
    }
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
  });

  test('an H.265 camera plays over RTSP and HTTP-FLV carries HEVC', async () => {
    const { channelId } = await newCamera({ media: { width: 640, height: 360, bitrateKbps: 600, codec: 'h265' } });
    const { status, json } = await startLive(server, channelId);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.media?.videoCodec, 'h265');
    const rtsp = (await ffprobeStreams(json.urls.rtsp, ['-rtsp_transport', 'tcp'])).find((s) => s.codec_type === 'video');
    assert.equal(rtsp?.codec_name, 'hevc');
    const flv = await collectHttp(json.urls.httpFlv, 800);
    const tag = readFlvPrefix(flv.body).tags.find(isVideoFrameTag);
    // Enhanced FLV: the ex-header bit and the 'hvc1' FourCC (Debian's FFmpeg 5.1 cannot read it; mpegts.js can).
    assert.ok(tag !== undefined && (tag.data[0] ?? 0) & 0x80);
    assert.equal(tag?.data.subarray(1, 5).toString('latin1'), 'hvc1');
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
  });

  test('playback URLs need their token: none, another stream\'s or a forged one is refused', async () => {
    const { channelId } = await newCamera();
    const { json } = await startLive(server, channelId);
    const bare = json.urls.httpFlv.replace(/\?token=.*$/, '');
    assert.equal((await fetch(bare)).status, 401);
    const forged = json.urls.httpFlv.replace(/\.[\w-]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal((await fetch(forged)).status, 401);
    const other = json.urls.httpFlv.replace(`/live/${channelId}.flv`, '/live/34020000001320009999.flv');
    assert.equal((await fetch(other)).status, 401);
    const rtsp = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', json.urls.rtsp.replace(/\?token=.*$/, '')]);
    assert.notEqual(rtsp.code, 0);
    await server.api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
    assert.equal(await streamCount(server), 0);
  });
});
