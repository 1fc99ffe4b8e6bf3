import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseGbSdp } from '../../src/sip/sdp';
import { hasFfmpeg, probeBytes } from '../media/helpers/media-files';
import { header } from './mini-registrar';
import { sdpLines } from './mini-invite';
import { MediaHarness, offer, sleep } from './media-harness';
import { simMediaPacerStats } from './media-pacer';
import { RtpSink } from './rtp-sink';
import type { SimStreamStats } from './types';

const IPC_UDP = '34020000001320101000';
const IPC_TCP = '34020000001320102000';
const IPC_ACTIVE = '34020000001320103000';
const NVR = '34020000001180104000';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

function videoFrames(sink: RtpSink): number {
  return sink.demuxed.frames.filter((f) => f.kind === 'video').length;
}

/** Every RTP timestamp change comes right after a marked packet, sequence numbers never skip. */
function assertRtpShape(sink: RtpSink, ssrc: number): void {
  const packets = sink.packets;
  assert.ok(packets.every((p) => p.payloadType === 96 && p.ssrc === ssrc));
  for (let i = 1; i < packets.length; i++) {
    const prev = packets[i - 1]!;
    const cur = packets[i]!;
    assert.equal(cur.sequenceNumber, (prev.sequenceNumber + 1) & 0xffff, `sequence at ${i}`);
    if (cur.timestamp !== prev.timestamp) assert.ok(prev.marker, `marker before timestamp change at ${i}`);
    else assert.ok(!prev.marker, `marker inside a frame at ${i}`);
  }
}

function assertContinuousVideo(sink: RtpSink): void {
  const video = sink.demuxed.frames.filter((f) => f.kind === 'video');
  assert.ok(video[0]?.keyframe, 'the first frame is a key frame');
  for (let i = 1; i < video.length; i++) assert.equal(video[i]!.pts - video[i - 1]!.pts, 3600, `PTS step at frame ${i}`);
}

function endOf(device: { once(e: 'streamEnd', f: (s: SimStreamStats) => void): unknown }): Promise<SimStreamStats> {
  return new Promise((resolve) => device.once('streamEnd', resolve));
}

describe('SimDevice live view', { skip }, () => {
  const h = new MediaHarness([IPC_UDP, IPC_TCP, IPC_ACTIVE, NVR]);
  before(() => h.start());
  after(() => h.stop());

  test('an INVITE over UDP is answered 100 then 200 with an SDP answer, media flows after the ACK, loops with growing timestamps, and stops on BYE', async () => {
    const cam = await h.device({ deviceId: IPC_UDP });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.udp());
    const call = h.call(IPC_UDP, channel, offer(sink.port, { ssrc: '0100000001' })).send();

    const trying = await call.response(100);
    const ok = await call.response(200);
    assert.equal(call.responses[0], trying, '100 Trying comes first');
    assert.match(header(ok, 'to') ?? '', /;tag=\d+/);
    assert.match(header(ok, 'contact') ?? '', new RegExp(`^<sip:${channel}@127\\.0\\.0\\.1:${cam.localPort}>$`));
    assert.equal(header(ok, 'content-type'), 'application/sdp');
    const lines = sdpLines(ok);
    assert.ok(lines.includes('s=Play') && lines.includes('c=IN IP4 127.0.0.1') && lines.includes('a=sendonly'));
    assert.ok(lines.includes('y=0100000001') && lines.includes('a=rtpmap:96 PS/90000'));
    assert.equal(lines.filter((l) => l.startsWith('a=setup')).length, 0);
    const answer = parseGbSdp(ok.body);
    assert.ok(answer.ok);
    const mediaPort = answer.value.media[0]!.port;
    assert.equal(answer.value.media[0]!.protocol, 'RTP/AVP');

    await sleep(150);
    assert.equal(sink.packets.length, 0, 'no media before the ACK');
    call.ack();
    await sink.waitFor((s) => videoFrames(s) >= 32, 4000);

    assertRtpShape(sink, 100000001);
    assert.ok(sink.packets.every((p) => p.fromPort === mediaPort), 'sent from the port of the answer');
    assert.ok(sink.packets.every((p) => p.payload.length <= 1400));
    assertContinuousVideo(sink);
    assert.ok(sink.demuxed.frames.every((f) => f.codec === 'h264'));
    assert.equal(sink.demuxed.frames.filter((f) => f.keyframe).length, 2, 'one key frame per 25-frame loop');
    const probed = probeBytes('sim-udp.h264', sink.annexB());
    assert.equal(probed[0]?.codec_name, 'h264');
    assert.equal(probed[0]?.width, 640);
    assert.equal(probed[0]?.height, 360);

    const [live] = cam.streamStats();
    assert.equal(live?.state, 'sending');
    assert.equal(live?.transport, 'udp');
    assert.deepEqual(live?.remote, { host: '127.0.0.1', port: sink.port });
    assert.equal(live?.localPort, mediaPort);
    assert.ok((live?.loops ?? 0) >= 1);

    const ended = endOf(cam);
    const bye = await call.bye();
    assert.equal(bye.status, 200);
    const stats = await ended;
    assert.equal(stats.endReason, 'bye-received');
    await sleep(40);
    const count = sink.packets.length;
    await sleep(200);
    assert.equal(sink.packets.length, count, 'no media after the BYE');
    assert.equal(stats.packets, count);
    assert.equal(stats.bytes, sink.packets.reduce((n, p) => n + 12 + p.payload.length, 0));
    assert.equal((await call.bye()).status, 481, 'a second BYE finds no dialog');
  });

  test('TCP passive (the platform listens): the camera connects from its answered port, sends RFC 4571 framed H.265, and hangup() sends BYE', async () => {
    const cam = await h.device({ deviceId: IPC_TCP, transport: 'tcp', media: { width: 640, height: 360, bitrateKbps: 800, clipSeconds: 2, gopFrames: 50, codec: 'h265' } });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.tcpListen());
    const call = h.call(IPC_TCP, channel, offer(sink.port, { transport: 'tcp', setup: 'passive', ssrc: '0100000002' })).send();
    const ok = await call.response(200);
    const lines = sdpLines(ok);
    assert.ok(lines.includes('a=setup:active') && lines.includes('a=connection:new'));
    const m = lines.find((l) => l.startsWith('m=video'));
    assert.match(m ?? '', /^m=video \d+ TCP\/RTP\/AVP 96$/);
    const answeredPort = Number(m?.split(' ')[1]);
    assert.match(header(ok, 'contact') ?? '', /;transport=tcp>$/);

    call.ack();
    await sink.waitFor((s) => videoFrames(s) >= 12, 4000);
    assert.equal(sink.peer?.port, answeredPort, 'connected from the port in the answer');
    assertRtpShape(sink, 100000002);
    assertContinuousVideo(sink);
    assert.ok(sink.demuxed.frames.every((f) => f.codec === 'h265'));
    const probed = probeBytes('sim-tcp.hevc', sink.annexB());
    assert.equal(probed[0]?.codec_name, 'hevc');
    assert.equal(probed[0]?.width, 640);
    assert.equal(probed[0]?.height, 360);

    const byeSeen = h.registrar.waitFor((r) => r.message.method === 'BYE' && header(r.message, 'call-id') === call.callId);
    assert.deepEqual(await cam.hangup(channel), [200]);
    const bye = (await byeSeen).message;
    assert.match(header(bye, 'from') ?? '', new RegExp(`<sip:${channel}@3402000000>;tag=${call.toTag ?? 'x'}$`));
    assert.match(header(bye, 'to') ?? '', new RegExp(`;tag=${call.fromTag}$`));
    assert.match(bye.startLine, new RegExp(`^BYE sip:${'34020000002000000001'}@127\\.0\\.0\\.1:${h.registrar.tcpPort} SIP/2\\.0$`));
    const [stats] = cam.streamStats();
    assert.equal(stats?.endReason, 'bye-sent');
    assert.equal(stats?.transport, 'tcp-passive');
    await sleep(60);
    const count = sink.packets.length;
    await sleep(150);
    assert.equal(sink.packets.length, count, 'no media after hangup');
    assert.deepEqual(await cam.hangup(channel), [], 'nothing left to hang up');
  });

  test('TCP active (the platform connects): the camera listens on its answered port and sends video with G.711A audio in the PS', async () => {
    const cam = await h.device({ deviceId: IPC_ACTIVE, media: { width: 640, height: 360, bitrateKbps: 1000, clipSeconds: 1, gopFrames: 25, audio: true } });
    await cam.prepareMedia();
    const call = h.call(IPC_ACTIVE, cam.channelIds[0]!, offer(9, { transport: 'tcp', setup: 'active' })).send();
    const ok = await call.response(200);
    const lines = sdpLines(ok);
    assert.ok(lines.includes('a=setup:passive') && lines.includes('a=connection:new'));
    const port = Number(lines.find((l) => l.startsWith('m=video'))?.split(' ')[1]);
    const sink = h.sink(await RtpSink.tcpConnect('127.0.0.1', port));
    call.ack();
    await sink.waitFor((s) => videoFrames(s) >= 10 && s.demuxed.frames.some((f) => f.kind === 'audio'), 4000);
    const audio = sink.demuxed.frames.filter((f) => f.kind === 'audio');
    assert.ok(audio.every((f) => f.codec === 'g711a'));
    assert.ok(audio.length >= 8);
    assertContinuousVideo(sink);
    const [stats] = cam.streamStats();
    assert.equal(stats?.transport, 'tcp-active');
    assert.deepEqual(stats?.remote, { host: '127.0.0.1', port: sink.port }, 'remote is the platform end of the connection');
    assert.equal((await call.bye()).status, 200);
  });

  test('an INVITE names a channel by Request-URI or To; an IPC also answers to its device ID; other IDs get 404', async () => {
    const nvr = await h.device({ deviceId: NVR, kind: 'nvr', channels: 3 });
    const unknown = h.call(NVR, '34020000001310999001', offer(9)).send();
    assert.equal((await unknown.response()).status, 404);
    const byDeviceId = h.call(NVR, NVR, offer(9)).send();
    assert.equal((await byDeviceId.response()).status, 404, 'an NVR is not a channel');
    const byTo = h.call(NVR, NVR, offer(9), nvr.channelIds[2]).send();
    assert.equal((await byTo.response()).status, 200, 'the To user names the channel');
    byTo.ack();
    const cam = await h.device({ deviceId: IPC_UDP });
    const own = h.call(IPC_UDP, IPC_UDP, offer(9)).send();
    assert.equal((await own.response()).status, 200);
    own.ack();
    assert.equal((await own.bye()).status, 200);
    assert.equal((await byTo.bye()).status, 200);
    assert.equal(cam.streamStats().length >= 1, true);
  });

  test("pacing 'burst' sends a key frame's packets at once, 'spread' spaces them over the frame's 40 ms", async () => {
    const spans: Record<string, number> = {};
    for (const pacing of ['burst', 'spread'] as const) {
      const cam = await h.device({ deviceId: IPC_UDP, media: { width: 640, height: 360, bitrateKbps: 1000, clipSeconds: 1, gopFrames: 25, pacing } });
      const sink = h.sink(await RtpSink.udp());
      const call = h.call(IPC_UDP, cam.channelIds[0]!, offer(sink.port)).send();
      await call.response(200);
      call.ack();
      await sink.waitFor((s) => s.packets.some((p) => p.marker));
      const first = sink.packets.filter((p) => p.timestamp === sink.packets[0]!.timestamp);
      assert.ok(first.length > 4, `the key frame takes ${first.length} packets`);
      spans[pacing] = first[first.length - 1]!.at - first[0]!.at;
      assert.equal((await call.bye()).status, 200);
    }
    assert.ok((spans['burst'] ?? 99) < 8, `burst over ${spans['burst']} ms`);
    assert.ok((spans['spread'] ?? 0) > 15, `spread over ${spans['spread']} ms`);
  });

  test('stop() ends every stream of the device without BYE and the shared pacer lets go of them', async () => {
    const nvr = await h.device({ deviceId: NVR, kind: 'nvr', channels: 2 });
    const sinks = [h.sink(await RtpSink.udp()), h.sink(await RtpSink.udp())];
    const calls = sinks.map((s, i) => h.call(NVR, nvr.channelIds[i]!, offer(s.port, { ssrc: `010000001${i}` })).send());
    for (const c of calls) await c.response(200);
    for (const c of calls) c.ack();
    await Promise.all(sinks.map((s) => s.waitFor((x) => videoFrames(x) >= 3)));
    assert.ok(simMediaPacerStats().streams >= 2);
    const byesBefore = h.registrar.received.filter((r) => r.message.method === 'BYE').length;
    await nvr.stop();
    const stats = nvr.streamStats();
    assert.deepEqual(
      stats.map((s) => [s.channelId, s.endReason]),
      nvr.channelIds.map((id) => [id, 'device-stopped']),
    );
    await sleep(150);
    const counts = sinks.map((s) => s.packets.length);
    await sleep(150);
    assert.deepEqual(sinks.map((s) => s.packets.length), counts);
    assert.equal(h.registrar.received.filter((r) => r.message.method === 'BYE').length, byesBefore);
    assert.equal(simMediaPacerStats().streams, 0);
  });
});
