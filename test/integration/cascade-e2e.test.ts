/**
 * Cascade end to end through the real signaling path (issue 5): an upper platform (UpperSim) that
 * we register with queries our catalog and INVITEs a shared channel from its own SIP socket; the
 * cascade service recognises it and hands the INVITE to the cascade media service, which sends
 * the simulated camera's video as PS over RTP (UDP, TCP). What arrives is read by our PS demuxer
 * and by ffprobe; the upper's BYE ends the forwarding and leaves the live stream without it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AccessUnit } from '../../src/media/codec/types';
import { hasFfmpeg } from '../media/helpers/media-files';
import type { SimDevice } from '../sim/device';
import { RtpSink } from '../sim/rtp-sink';
import { PLATFORM_ID, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { UpperSim, xmlItems, xmlTag, type UpperCall } from '../cascade/upper-sim';
import { answerMedia, probePs, UPPER_ID, upperOffer, type UpperMedia } from '../cascade/media/upper-peer';
import { camera, onlineCamera, SMALL_MEDIA, type LiveStreamBody } from './helpers/live';

const CITY = '35010000002000000021';
const PASSWORD = 'city-secret';
const RECEIVE_MS = 2000;
const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

describe('cascade end to end: an upper platform we register with watches a shared camera', { skip }, () => {
  let server: TestServer;
  let cam: SimDevice;
  let unshared: SimDevice;
  let city: UpperSim;
  let channelId = '';
  let unsharedChannel = '';
  let ssrcSeq = 1;
  let sn = 300;
  const sinks: RtpSink[] = [];
  const calls: UpperCall[] = [];

  before(async () => {
    server = await startTestServer({ 'cascade.retryMinMs': 100, 'cascade.requestTimeoutMs': 1000 });
    cam = camera(server, { media: { ...SMALL_MEDIA, codec: 'h264' } });
    channelId = await onlineCamera(server, cam);
    // A second camera, known to us but not shared: no media needed, it must never be asked.
    unshared = camera(server, { media: undefined });
    await unshared.start();
    assert.equal((await unshared.register()).status, 200);
    unsharedChannel = unshared.channelIds[0] ?? unshared.deviceId;
    await waitFor(async () => (await server.api(`/api/v1/channels/${unsharedChannel}`)).status === 200, 5000, 'the unshared channel stored');

    city = new UpperSim({ id: CITY, users: new Map([[PLATFORM_ID, PASSWORD]]) });
    await city.start();
    const created = await server.api('/api/v1/uppers', {
      method: 'POST',
      body: JSON.stringify({ upperId: CITY, host: '127.0.0.1', port: city.udpPort, password: PASSWORD, keepaliveIntervalSec: 30 }),
    });
    assert.equal(created.status, 201, await created.text());
    const shared = await server.api(`/api/v1/uppers/${CITY}/shares`, {
      method: 'POST',
      body: JSON.stringify({ add: [{ id: channelId, kind: 'channel', deviceId: cam.deviceId }] }),
    });
    assert.equal(shared.status, 200, await shared.text());
  });

  after(async () => {
    for (const c of calls) await c.bye(500).catch(() => undefined);
    for (const s of sinks) await s.close();
    await city?.stop();
    await unshared?.stop();
    await cam?.stop();
    await server?.stop();
  });

  const nextSsrc = (): string => `03501${String(ssrcSeq++).padStart(5, '0')}`;
  const videoFrames = (s: RtpSink): AccessUnit[] => s.demuxed.frames.filter((f) => f.kind === 'video');
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  function offer(media: UpperMedia, port: number, ssrc: string, target = channelId): string {
    return upperOffer({ channelId: target, media, port, ssrc }).replace(`o=${UPPER_ID} `, `o=${CITY} `);
  }

  async function invite(target: string, sdp: string): Promise<UpperCall> {
    const call = await city.invite(target, sdp);
    if (call.status < 300) calls.push(call);
    return call;
  }

  async function bye(call: UpperCall): Promise<number> {
    calls.splice(calls.indexOf(call), 1);
    return (await call.bye()).status ?? 0;
  }

  /** Receives for RECEIVE_MS from the first packet; checks what our demuxer and ffprobe read. */
  async function assertPlayableH264(rtp: RtpSink, ssrc: string): Promise<void> {
    await rtp.waitFor((s) => s.packets.length > 0, 10_000);
    await sleep(RECEIVE_MS / 2);
    const halfway = videoFrames(rtp).length;
    await sleep(RECEIVE_MS / 2);
    const frames = videoFrames(rtp);
    const lastSecond = frames.length - halfway;
    assert.ok(lastSecond >= 18 && lastSecond <= 32, `about 25 frames a second in real time, got ${lastSecond}`);
    assert.equal(rtp.malformed, 0);
    assert.ok(rtp.packets.every((p) => p.ssrc === Number(ssrc) && p.payloadType === 96), 'the SSRC and payload type of the offer');
    assert.equal(frames[0]?.codec, 'h264');
    assert.equal(frames[0]?.keyframe, true, 'the upper starts at a key frame');
    assert.ok(frames.filter((f) => f.keyframe).length >= 1);
    assert.ok(frames.length >= 40, `frames for ${RECEIVE_MS} ms: ${frames.length}`);
    const steps = frames.slice(1).map((f, i) => f.pts - (frames[i]?.pts ?? 0)).sort((a, b) => a - b);
    assert.equal(steps[Math.floor(steps.length / 2)], 3600, 'timestamps 1/25 s apart');
    assert.equal(rtp.demuxed.demuxer.stats.framesDropped, 0);
    const params = rtp.demuxed.params.find((p) => p.kind === 'video');
    assert.equal(params?.codec, 'h264');
    const probed = probePs(rtp.packets.map((p) => p.payload));
    const video = probed.streams.find((s) => s.codec_name === 'h264');
    assert.ok(video, `ffprobe sees H.264 in the PS: ${JSON.stringify(probed)}`);
    assert.equal(video.width, SMALL_MEDIA.width);
    assert.equal(video.height, SMALL_MEDIA.height);
  }

  /** After the upper's BYE: no packets, no session, no forwarding; the live stream has no viewer left. */
  async function assertForwardingGone(rtp: RtpSink): Promise<void> {
    await waitFor(() => server.app.cascadeMedia.list().length === 0, 3000, 'the cascade session ended');
    assert.deepEqual(await server.app.media.listForwards(), []);
    await sleep(200);
    const n = rtp.packets.length;
    await sleep(400);
    assert.equal(rtp.packets.length, n, 'no more packets after the BYE');
    const streams = await liveStreams();
    assert.equal(streams.length, 1, 'the live stream runs on until its idle stop');
    assert.equal(streams[0]?.viewers, 0, 'the live stream carries no forwarding');
  }

  /** GET /api/v1/streams, the camera's live streams. */
  async function liveStreams(): Promise<LiveStreamBody[]> {
    const res = await server.api('/api/v1/streams');
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: LiveStreamBody[] }).items.filter((s) => s.channelId === channelId);
  }

  test('we register with the upper platform, with digest', async () => {
    await city.until(() => city.lower !== undefined, 5000, 'registered with the upper');
    assert.ok(city.registrations.some((r) => r.authorized && r.expires > 0));
    assert.equal(city.lower?.transport, 'udp');
  });

  test('the upper queries our catalog and finds the shared channel, and only it', async () => {
    await city.until(() => city.lower !== undefined, 5000, 'registered with the upper');
    const q = ++sn;
    assert.equal((await city.manscdp('Query', 'Catalog', q, PLATFORM_ID)).status, 200);
    const parts = await city.collect('Catalog', q, (p) => p.length > 0 && p.reduce((n, x) => n + xmlItems(x.text).length, 0) >= Number(xmlTag(p[0]!.text, 'SumNum')));
    const items = parts.flatMap((p) => xmlItems(p.text));
    const ids = items.map((i) => xmlTag(i, 'DeviceID'));
    assert.ok(ids.includes(channelId), `${channelId} in ${ids.join(',')}`);
    assert.ok(!ids.includes(unsharedChannel), 'the unshared camera is not listed');
    const item = items.find((i) => xmlTag(i, 'DeviceID') === channelId)!;
    assert.equal(xmlTag(item, 'Status'), 'ON');
    assert.equal(xmlTag(parts[0]!.text, 'DeviceID'), PLATFORM_ID);
  });

  test('UDP: the INVITE of the shared channel is answered and ~2 s of PS/RTP is H.264 our demuxer and ffprobe read; the BYE ends the forwarding', async () => {
    await city.until(() => city.lower !== undefined, 5000, 'registered with the upper');
    const rtp = await RtpSink.udp();
    sinks.push(rtp);
    const ssrc = nextSsrc();
    const call = await invite(channelId, offer('udp', rtp.port, ssrc));
    assert.equal(call.status, 200, call.response.startLine);
    assert.match(call.sdp, /^a=rtpmap:96 PS\/90000/m);
    const answer = answerMedia(call.response);
    assert.equal(answer.sendonly, true);
    assert.equal(answer.ssrc, ssrc);
    assert.ok(answer.port > 0);
    call.ack();
    await assertPlayableH264(rtp, ssrc);
    assert.ok(rtp.packets.every((p) => p.fromPort === answer.port), 'sent from the port of our answer');
    const sessions = server.app.cascadeMedia.list();
    assert.equal(sessions.length, 1);
    assert.equal((await server.app.media.listForwards()).length, 1);
    assert.equal((await liveStreams())[0]?.viewers, 1, 'the forwarding is a viewer of the live stream');
    assert.equal(await bye(call), 200);
    await assertForwardingGone(rtp);
  });

  test('TCP: the upper listens (a=setup:passive), we connect and send RFC 4571 framed PS it can read; the BYE ends it', async () => {
    await city.until(() => city.lower !== undefined, 5000, 'registered with the upper');
    const rtp = await RtpSink.tcpListen();
    sinks.push(rtp);
    const ssrc = nextSsrc();
    const call = await invite(channelId, offer('tcp-listen', rtp.port, ssrc));
    assert.equal(call.status, 200, call.response.startLine);
    const answer = answerMedia(call.response);
    assert.equal(answer.setup, 'active');
    assert.match(call.sdp, /^m=video \d+ TCP\/RTP\/AVP/m);
    call.ack();
    await assertPlayableH264(rtp, ssrc);
    assert.equal(server.app.cascadeMedia.list().length, 1);
    assert.equal((await liveStreams())[0]?.viewers, 1);
    assert.equal(await bye(call), 200);
    await assertForwardingGone(rtp);
  });

  test('an INVITE for a channel not shared with the upper is answered 404 and never reaches the camera', async () => {
    await city.until(() => city.lower !== undefined, 5000, 'registered with the upper');
    const call = await invite(unsharedChannel, offer('udp', 30000, nextSsrc(), unsharedChannel));
    assert.equal(call.status, 404);
    assert.deepEqual(unshared.streamStats(), []);
    assert.deepEqual(server.app.cascadeMedia.list(), []);
    assert.equal(server.app.live.isRunning(unsharedChannel), false);
  });
});
