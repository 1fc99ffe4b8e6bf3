/**
 * Cascade Playback/Download end to end: the city platform plays the district's own recordings.
 * A recording plan records a simulated camera; an upper INVITEs s=Playback / s=Download for a
 * range and gets it as PS over RTP, steered by MANSRTSP INFOs (PAUSE, PLAY, Scale, Range), ended
 * by MediaStatus 121 and our BYE. With recordSource 'device', the camera's own recordings are
 * played instead and MANSRTSP is passed on to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hasFfmpeg } from '../../media/helpers/media-files';
import type { SimDevice } from '../../sim/device';
import { header } from '../../sim/mini-registrar';
import type { MiniCall } from '../../sim/mini-invite';
import { RtpSink } from '../../sim/rtp-sink';
import { startTestServer, waitFor, type TestServer } from '../../helpers/server';
import { camera, onlineCamera } from '../../integration/helpers/live';
import { probePs, routeInvites, TestUpper, upperOffer } from './upper-peer';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

describe('cascade media: an upper platform plays recordings', { skip }, () => {
  let server: TestServer;
  let cam: SimDevice;
  let upper: TestUpper;
  let channelId = '';
  let recordSource: 'platform' | 'device' = 'platform';
  /** A recorded stretch: the start of the first segment (whole seconds) and 5 s of footage from there. */
  let rangeStart = 0;
  const sinks: RtpSink[] = [];
  const calls: MiniCall[] = [];

  before(async () => {
    server = await startTestServer({ 'record.segmentSeconds': 5, 'record.planCheckSec': 1, 'record.minFreeBytes': 0, 'live.idleStopSec': 1 });
    cam = camera(server);
    channelId = await onlineCamera(server, cam);
    routeInvites(server.app, () => ({ deviceId: cam.deviceId, recordSource }));
    upper = await TestUpper.start(server.sipPort);
    const put = await server.api(`/api/v1/channels/${channelId}/recording-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'continuous' }) });
    assert.equal(put.status, 200, await put.clone().text());
    const t0 = Date.now();
    const segments = await waitFor(
      async () => {
        const res = await server.api(`/api/v1/channels/${channelId}/recordings?start=${t0 - 60_000}&end=${Date.now() + 60_000}&segments=true`);
        const body = (await res.json()) as { segmentList?: Array<{ start: number; end: number }> };
        return (body.segmentList ?? []).length >= 1 ? body.segmentList : null;
      },
      25_000,
      'a recorded segment',
    );
    const first = segments[0];
    assert.ok(first !== undefined && first.end - first.start >= 5000);
    rangeStart = Math.ceil(first.start / 1000);
  });
  after(async () => {
    for (const c of calls) c.close();
    for (const s of sinks) await s.close();
    await upper.close();
    await cam.stop();
    await server.stop();
  });

  async function call(session: 'Playback' | 'Download', seconds: number, extra: { downloadSpeed?: number; start?: number } = {}): Promise<{ call: MiniCall; rtp: RtpSink }> {
    const rtp = await RtpSink.udp();
    sinks.push(rtp);
    const start = extra.start ?? rangeStart;
    const sdp = upperOffer({ session, channelId, media: 'udp', port: rtp.port, ssrc: '1110000001', start, end: start + seconds, ...(extra.downloadSpeed !== undefined ? { downloadSpeed: extra.downloadSpeed } : {}) });
    const c = upper.invite(channelId, sdp);
    calls.push(c);
    const ok = await c.response(200, 15_000);
    assert.match(ok.body.toString(), new RegExp(`^s=${session}`, 'm'));
    assert.match(ok.body.toString(), new RegExp(`^t=${start} ${start + seconds}`, 'm'));
    c.ack();
    return { call: c, rtp };
  }

  const rtsp = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
  const videoFrames = (s: RtpSink): number => s.demuxed.frames.filter((f) => f.kind === 'video').length;
  const playback = async () => (await server.app.media.listPlaybacks()).find((p) => p.streamId.includes('_cascade-'));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('Playback of platform recordings follows PAUSE, PLAY, Scale and Range, then ends with MediaStatus 121 and a BYE', async () => {
    const { call: c, rtp } = await call('Playback', 4);
    await rtp.waitFor((s) => videoFrames(s) >= 10, 10_000);
    assert.equal(rtp.demuxed.frames[0]?.keyframe, true);

    assert.equal((await c.info(rtsp(['PAUSE RTSP/1.0', 'CSeq: 1', 'PauseTime: now']))).status, 200);
    await sleep(300);
    const paused = rtp.packets.length;
    await sleep(700);
    assert.equal(rtp.packets.length, paused, 'nothing arrives while paused');
    assert.equal((await playback())?.state, 'paused');

    const ok = await c.info(rtsp(['PLAY RTSP/1.0', 'CSeq: 2', 'Scale: 2.0']));
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), /^RTSP\/1\.0 200 OK\r\nCSeq: 2/);
    await rtp.waitFor((s) => s.packets.length > paused, 2000);
    const fast = await playback();
    assert.equal(fast?.speed, 2);
    assert.equal(fast?.state, 'playing');

    // Playback begins at the key frame at or before the range start (up to a GOP earlier).
    await waitFor(async () => ((await playback())?.position ?? 0) >= rangeStart * 1000 + 1000, 5000, 'playback past the first second of the range');
    const beforeSeek = videoFrames(rtp);
    assert.equal((await c.info(rtsp(['PLAY RTSP/1.0', 'CSeq: 3', 'Range: npt=0-']))).status, 200);
    assert.ok(((await playback())?.position ?? Infinity) <= rangeStart * 1000 + 500, 'the seek went back to the start of the range');

    const status = await upper.waitForRequest(c.callId, 'MESSAGE', 10_000);
    const xml = status.message.body.toString('latin1');
    assert.match(xml, /<CmdType>MediaStatus<\/CmdType>/);
    assert.match(xml, /<NotifyType>121<\/NotifyType>/);
    assert.match(xml, new RegExp(`<DeviceID>${channelId}</DeviceID>`));
    const bye = await upper.waitForRequest(c.callId, 'BYE', 5000);
    assert.ok(upper.registrar.received.indexOf(bye) > upper.registrar.received.indexOf(status), 'MediaStatus comes before the BYE');
    rtp.demuxed.demuxer.flush();
    // 4 s of range at 25 fps is 100 frames; the seek back replayed at least a second of it.
    assert.ok(videoFrames(rtp) >= beforeSeek + 90, `the whole range again after the seek: ${beforeSeek} frames, then ${videoFrames(rtp) - beforeSeek}`);
    assert.ok(videoFrames(rtp) <= 300, `and not much past the end of the range: ${videoFrames(rtp)} frames`);
    const probed = probePs(rtp.packets.map((p) => p.payload));
    assert.ok(probed.streams.some((s) => s.codec_name === 'h264' && s.width === 640), JSON.stringify(probed));
    await waitFor(async () => (await playback()) === undefined, 3000, 'the playback closed');
  });

  test('Download is sent faster than real time with every frame, then MediaStatus 121 and a BYE', async () => {
    const t0 = Date.now();
    const { call: c, rtp } = await call('Download', 4, { downloadSpeed: 4 });
    await upper.waitForRequest(c.callId, 'MESSAGE', 10_000);
    const elapsed = Date.now() - t0;
    await upper.waitForRequest(c.callId, 'BYE', 5000);
    rtp.demuxed.demuxer.flush();
    const frames = rtp.demuxed.frames.filter((f) => f.kind === 'video');
    assert.ok(elapsed < 3500, `4 s of footage at 4x took ${elapsed} ms`);
    assert.ok(frames.length >= 90, `about 100 frames for 4 s: ${frames.length}`);
    assert.ok(frames.filter((f) => !f.keyframe).length > frames.length / 2, 'not just key frames');
  });

  test('a BYE from the upper in the middle closes the platform playback at once', async () => {
    const { call: c, rtp } = await call('Playback', 4);
    await rtp.waitFor((s) => videoFrames(s) >= 5, 10_000);
    assert.ok((await playback()) !== undefined);
    assert.equal((await c.bye()).status, 200);
    await waitFor(async () => (await playback()) === undefined, 3000, 'the playback closed');
    assert.equal(upper.requests(c.callId, 'MESSAGE').length, 0, 'no MediaStatus for a session the upper ended');
  });

  test("with recordSource 'device', the camera's own recordings are played: MANSRTSP reaches it, and its MediaStatus 121 reaches the upper", async () => {
    recordSource = 'device';
    try {
      const start = Math.floor(Date.now() / 1000) - 3600;
      const { call: c, rtp } = await call('Playback', 3, { start });
      await rtp.waitFor((s) => videoFrames(s) >= 10, 10_000);
      const history = () => cam.streamStats().find((s) => s.session === 'playback' && s.state !== 'ended');
      assert.equal(history()?.rangeStart, start);

      assert.equal((await c.info(rtsp(['PAUSE RTSP/1.0', 'CSeq: 1', 'PauseTime: now']))).status, 200);
      await waitFor(() => history()?.paused === true, 2000, 'the camera paused');
      assert.equal((await c.info(rtsp(['PLAY RTSP/1.0', 'CSeq: 2', 'Range: npt=now-']))).status, 200);
      await waitFor(() => history()?.paused === false, 2000, 'the camera playing again');
      assert.deepEqual(history()?.infoCommands, ['PAUSE', 'PLAY']);

      const status = await upper.waitForRequest(c.callId, 'MESSAGE', 10_000);
      assert.match(status.message.body.toString('latin1'), /<NotifyType>121<\/NotifyType>/);
      assert.equal(header(status.message, 'call-id'), c.callId);
      await upper.waitForRequest(c.callId, 'BYE', 5000);
      await waitFor(() => cam.streamStats().every((s) => s.session !== 'playback' || s.state === 'ended'), 5000, 'the camera playback hung up');
    } finally {
      recordSource = 'platform';
    }
  });
});
