/**
 * Cascade media end to end, live view: an upper platform (a MiniRegistrar socket and RtpSink)
 * INVITEs a simulated camera's channel through the real server, which answers and sends the
 * channel as PS over RTP over UDP, TCP active and TCP passive; our demuxer and ffprobe read what
 * arrives. BYE from either side ends only that forwarding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hasFfmpeg } from '../media/helpers/media-files';
import type { SimDevice } from '../sim/device';
import type { MiniCall } from '../sim/mini-invite';
import { RtpSink } from '../sim/rtp-sink';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera } from './helpers/live';
import { answerMedia, probePs, routeInvites, TestUpper, UPPER_ID, upperOffer } from '../cascade/media/upper-peer';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

describe('cascade media: an upper platform watches a channel', { skip }, () => {
  let server: TestServer;
  let cam: SimDevice;
  let upper: TestUpper;
  let channelId = '';
  const sinks: RtpSink[] = [];
  const calls: MiniCall[] = [];
  let ssrcSeq = 1;

  before(async () => {
    server = await startTestServer({ 'live.idleStopSec': 1, 'live.rtpTimeoutSec': 2 });
    cam = camera(server);
    channelId = await onlineCamera(server, cam);
    routeInvites(server.app, () => ({ deviceId: cam.deviceId, recordSource: 'platform' }));
    upper = await TestUpper.start(server.sipPort);
  });
  after(async () => {
    for (const c of calls) c.close();
    for (const s of sinks) await s.close();
    await upper.close();
    await cam.stop();
    await server.stop();
  });

  async function sink(make: () => Promise<RtpSink>): Promise<RtpSink> {
    const s = await make();
    sinks.push(s);
    return s;
  }

  function invite(sdp: string, target = channelId): MiniCall {
    const call = upper.invite(target, sdp);
    calls.push(call);
    return call;
  }

  const nextSsrc = (): string => `01100${String(ssrcSeq++).padStart(5, '0')}`;
  const videoFrames = (s: RtpSink): number => s.demuxed.frames.filter((f) => f.kind === 'video').length;

  async function assertStopped(s: RtpSink): Promise<void> {
    await new Promise((r) => setTimeout(r, 200));
    const n = s.packets.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(s.packets.length, n, 'no more packets after the forwarding ended');
  }

  test('UDP: the INVITE is answered with our port, sendonly and its own SSRC; after the ACK PS/RTP arrives that our demuxer and ffprobe read', async () => {
    const rtp = await sink(() => RtpSink.udp());
    const ssrc = nextSsrc();
    const call = invite(upperOffer({ channelId, media: 'udp', port: rtp.port, ssrc }));
    const ok = await call.response(200, 15_000);
    const answer = answerMedia(ok);
    assert.equal(answer.sendonly, true);
    assert.equal(answer.ssrc, ssrc);
    assert.ok(answer.port > 0);
    assert.match(ok.body.toString(), /^a=rtpmap:96 PS\/90000/m);
    call.ack();
    await rtp.waitFor((s) => videoFrames(s) >= 40, 10_000);
    assert.ok(rtp.packets.every((p) => p.ssrc === Number(ssrc) && p.payloadType === 96), 'the SSRC and payload type the upper asked for');
    assert.ok(rtp.packets.every((p) => p.fromPort === answer.port), 'sent from the port of our answer');
    assert.equal(rtp.demuxed.frames[0]?.keyframe, true, 'the upper starts at a key frame');
    assert.equal(rtp.demuxed.demuxer.stats.framesDropped, 0);
    const probed = probePs(rtp.packets.map((p) => p.payload));
    const video = probed.streams.find((s) => s.codec_name === 'h264');
    assert.ok(video, `ffprobe sees H.264 in the PS: ${JSON.stringify(probed)}`);
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
    const forwards = await server.app.media.listForwards();
    assert.equal(forwards.length, 1);
    assert.equal(forwards[0]?.state, 'sending');
    const bye = await call.bye();
    assert.equal(bye.status, 200);
    await assertStopped(rtp);
    assert.deepEqual(await server.app.media.listForwards(), []);
  });

  test('TCP active: the upper listens (a=setup:passive), we connect and send RFC 4571 framed PS', async () => {
    const rtp = await sink(() => RtpSink.tcpListen());
    const ssrc = nextSsrc();
    const call = invite(upperOffer({ channelId, media: 'tcp-listen', port: rtp.port, ssrc }));
    const answer = answerMedia(await call.response(200, 15_000));
    assert.equal(answer.setup, 'active');
    call.ack();
    await rtp.waitFor((s) => videoFrames(s) >= 25, 10_000);
    assert.equal(rtp.malformed, 0);
    assert.equal(rtp.demuxed.frames[0]?.keyframe, true);
    assert.ok(rtp.packets.every((p) => p.ssrc === Number(ssrc)));
    assert.equal((await call.bye()).status, 200);
    await assertStopped(rtp);
  });

  test('TCP passive: the upper connects (a=setup:active) to the port of our answer after the ACK and starts at a key frame', async () => {
    const ssrc = nextSsrc();
    const call = invite(upperOffer({ channelId, media: 'tcp-connect', port: 9, ssrc }));
    const answer = answerMedia(await call.response(200, 15_000));
    assert.equal(answer.setup, 'passive');
    call.ack();
    await new Promise((r) => setTimeout(r, 300));
    const rtp = await sink(() => RtpSink.tcpConnect('127.0.0.1', answer.port));
    await rtp.waitFor((s) => videoFrames(s) >= 25, 10_000);
    assert.equal(rtp.demuxed.frames[0]?.keyframe, true, 'it gets the cached GOP from its key frame');
    assert.equal(rtp.demuxed.demuxer.stats.framesDropped, 0);
    const probed = probePs(rtp.packets.map((p) => p.payload));
    assert.ok(probed.streams.some((s) => s.codec_name === 'h264'));
    assert.equal((await call.bye()).status, 200);
  });

  test('a BYE from the upper ends only its forwarding: another keeps receiving, the live stream runs on, and stops by its idle rule after the last', async () => {
    const a = await sink(() => RtpSink.udp());
    const b = await sink(() => RtpSink.udp());
    const callA = invite(upperOffer({ channelId, media: 'udp', port: a.port, ssrc: nextSsrc() }));
    await callA.response(200, 15_000);
    callA.ack();
    const callB = invite(upperOffer({ channelId, media: 'udp', port: b.port, ssrc: nextSsrc() }));
    await callB.response(200, 15_000);
    callB.ack();
    await a.waitFor((s) => videoFrames(s) >= 10, 10_000);
    await b.waitFor((s) => videoFrames(s) >= 10, 10_000);
    const deviceStreams = cam.streamStats().filter((s) => s.state === 'sending').length;
    assert.equal(deviceStreams, 1, 'two forwardings share one stream from the camera');

    assert.equal((await callA.bye()).status, 200);
    await assertStopped(a);
    const before = videoFrames(b);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(videoFrames(b) > before + 20, 'the other upper session keeps receiving past the idle time');
    assert.equal(server.app.live.isRunning(channelId), true);

    assert.equal((await callB.bye()).status, 200);
    await waitFor(() => !server.app.live.isRunning(channelId), 5000, 'the live stream to stop by its idle rule');
    await waitFor(() => cam.streamStats().every((s) => s.state === 'ended'), 3000, 'the camera to be hung up');
  });

  test('the camera hanging up ends the forwarding with a BYE to the upper', async () => {
    const rtp = await sink(() => RtpSink.udp());
    const call = invite(upperOffer({ channelId, media: 'udp', port: rtp.port, ssrc: nextSsrc() }));
    await call.response(200, 15_000);
    call.ack();
    await rtp.waitFor((s) => videoFrames(s) >= 10, 10_000);
    assert.deepEqual(await cam.hangup(channelId), [200]);
    const bye = await upper.waitForRequest(call.callId, 'BYE', 5000);
    assert.equal(bye.message.method, 'BYE');
    await assertStopped(rtp);
    assert.deepEqual(await server.app.media.listForwards(), []);
  });

  test('a camera whose RTP stops (no BYE) ends the forwarding by the RTP timeout, with a BYE to the upper', async () => {
    const hung = camera(server, { quirks: { stopMediaAfterMs: 1500 } });
    const hungChannel = await onlineCamera(server, hung);
    try {
      const rtp = await sink(() => RtpSink.udp());
      const call = invite(upperOffer({ channelId: hungChannel, media: 'udp', port: rtp.port, ssrc: nextSsrc() }), hungChannel);
      await call.response(200, 15_000);
      call.ack();
      await rtp.waitFor((s) => videoFrames(s) >= 5, 10_000);
      await upper.waitForRequest(call.callId, 'BYE', 8000);
      // The media node reports the forward's end and the stream's end separately: either may come first.
      await waitFor(() => !server.app.live.isRunning(hungChannel), 2000, 'the live stream ended by its RTP timeout');
      assert.deepEqual(await server.app.media.listForwards(), []);
    } finally {
      await hung.stop();
    }
  });

  test('an upper removed (stopUpper) gets a BYE for every forwarding; a CANCEL before our answer leaves nothing behind', async () => {
    const a = await sink(() => RtpSink.udp());
    const b = await sink(() => RtpSink.udp());
    const callA = invite(upperOffer({ channelId, media: 'udp', port: a.port, ssrc: nextSsrc() }));
    const callB = invite(upperOffer({ channelId, media: 'udp', port: b.port, ssrc: nextSsrc() }));
    await callA.response(200, 15_000);
    await callB.response(200, 15_000);
    callA.ack();
    callB.ack();
    await a.waitFor((s) => videoFrames(s) >= 5, 10_000);
    const info = await callA.info('PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 2.0\r\n\r\n');
    assert.equal(info.status, 200, 'MANSRTSP on live view is accepted and changes nothing');
    assert.equal(server.app.cascadeMedia.list().length, 2);
    await server.app.cascadeMedia.stopUpper('19999999992000000001');
    assert.equal(server.app.cascadeMedia.list().length, 2, 'another upper is not touched');
    await server.app.cascadeMedia.stopUpper(UPPER_ID);
    await upper.waitForRequest(callA.callId, 'BYE');
    await upper.waitForRequest(callB.callId, 'BYE');
    assert.deepEqual(server.app.cascadeMedia.list(), []);
    assert.deepEqual(await server.app.media.listForwards(), []);

    // With the live stream stopped, our answer waits for the camera: room for a CANCEL.
    await waitFor(() => !server.app.live.isRunning(channelId), 5000, 'the live stream to stop by its idle rule');
    const rtp = await sink(() => RtpSink.udp());
    const cancelled = invite(upperOffer({ channelId: cam.channelIds[0] ?? channelId, media: 'udp', port: rtp.port, ssrc: nextSsrc() }));
    await cancelled.response(100, 5000);
    assert.equal((await cancelled.cancel()).status, 200);
    assert.equal((await cancelled.response(undefined, 15_000)).status, 487);
    await waitFor(() => server.app.cascadeMedia.list().length === 0, 15_000, 'the cancelled session released');
    assert.deepEqual(await server.app.media.listForwards(), []);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rtp.packets.length, 0);
  });

  test('an SDP we cannot serve is answered 488 and an unknown channel 404, and neither starts a stream', async () => {
    const streamsBefore = cam.streamStats().length;
    const noPs = upperOffer({ channelId, media: 'udp', port: 30000, ssrc: nextSsrc() }).replace(' 96 97 98', ' 98').replace('a=rtpmap:96 PS/90000\r\n', '');
    const bad = invite(noPs);
    assert.equal((await bad.response(undefined, 5000)).status, 488);
    const unknown = invite(upperOffer({ channelId: '34020000001329999999', media: 'udp', port: 30000, ssrc: nextSsrc() }), '34020000001329999999');
    assert.equal((await unknown.response(undefined, 5000)).status, 404);
    assert.equal(cam.streamStats().length, streamsBefore);
    assert.deepEqual(server.app.cascadeMedia.list(), []);
  });
});
