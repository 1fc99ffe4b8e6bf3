import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseMansrtsp } from '../../src/sip/mansrtsp';
import { hasFfmpeg } from '../media/helpers/media-files';
import { header, type Received } from './mini-registrar';
import { sdpLines, type MiniCall } from './mini-invite';
import { MediaHarness, historyOffer, sleep } from './media-harness';
import { RtpSink } from './rtp-sink';
import type { SimDevice } from './device';
import type { SimStreamStats } from './types';

const PLAYBACK = '34020000001320201000';
const CONTROL = '34020000001320202000';
const DOWNLOAD = '34020000001320203000';
const BYE_EARLY = '34020000001320204000';
const REFUSED = '34020000001320205000';
const START = 1_715_961_600; // 2024-05-17 16:00 UTC

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe not installed';

function videoFrames(sink: RtpSink): number {
  return sink.demuxed.frames.filter((f) => f.kind === 'video').length;
}

function isMediaStatus(r: Received, channelId: string): boolean {
  const body = r.message.body.toString('latin1');
  return r.message.method === 'MESSAGE' && body.includes('<CmdType>MediaStatus</CmdType>') && body.includes(`<DeviceID>${channelId}</DeviceID>`);
}

function statsOf(cam: SimDevice): SimStreamStats {
  const s = cam.streamStats().at(-1);
  assert.ok(s, 'the device has a stream');
  return s;
}

/** Video frames that arrive during `ms`. */
async function framesDuring(sink: RtpSink, ms: number): Promise<number> {
  const before = videoFrames(sink);
  await sleep(ms);
  return videoFrames(sink) - before;
}

async function answered(call: MiniCall): Promise<string[]> {
  const ok = await call.response(200);
  call.ack();
  return sdpLines(ok);
}

describe('SimDevice history streams (Playback, Download, MANSRTSP)', { skip }, () => {
  const h = new MediaHarness([PLAYBACK, CONTROL, DOWNLOAD, BYE_EARLY, REFUSED]);
  before(() => h.start());
  after(() => h.stop());

  test('a 4 s Playback range arrives as 4 s of frames at 1x, then Notify MediaStatus 121, then nothing until the BYE', async () => {
    const cam = await h.device({ deviceId: PLAYBACK });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.udp());
    const notified = new Promise<SimStreamStats>((resolve) => cam.once('mediaStatusSent', (s) => resolve(s)));
    const call = h.call(PLAYBACK, channel, historyOffer(sink.port, { session: 'Playback', channelId: channel, start: START, end: START + 4 })).send();
    const lines = await answered(call);
    assert.ok(lines.includes('s=Playback') && lines.includes(`t=${START} ${START + 4}`) && lines.includes('a=sendonly'));
    assert.ok(!lines.some((l) => l.startsWith('a=filesize')));

    const message = await h.registrar.waitFor((r) => isMediaStatus(r, channel), 7000);
    const body = message.message.body.toString('latin1');
    assert.match(body, /<NotifyType>121<\/NotifyType>/);
    assert.match(body, /<SN>\d+<\/SN>/);
    assert.match(header(message.message, 'content-type') ?? '', /^Application\/MANSCDP\+xml$/i);
    const first = sink.packets[0]!.at;
    const last = sink.lastPacketAt;
    assert.ok(last - first > 3600 && last - first < 4400, `4 s of media took ${Math.round(last - first)} ms`);
    assert.equal(videoFrames(sink), 100, '4 s at 25 fps');
    const video = sink.demuxed.frames.filter((f) => f.kind === 'video');
    for (let i = 1; i < video.length; i++) assert.equal(video[i]!.pts - video[i - 1]!.pts, 3600, `PTS step at ${i}`);

    const stats = await notified;
    assert.equal(stats.session, 'playback');
    assert.equal(stats.state, 'complete');
    assert.equal(stats.mediaSentSeconds, 4);
    assert.equal(stats.mediaStatusSent, true);
    assert.deepEqual([stats.rangeStart, stats.rangeEnd], [START, START + 4]);
    const count = sink.packets.length;
    await sleep(300);
    assert.equal(sink.packets.length, count, 'nothing after the end of the range');
    assert.equal((await call.bye()).status, 200);
    assert.equal(statsOf(cam).endReason, 'bye-received');
  });

  test('INFO PAUSE stops packets, PLAY resumes, Scale 2 doubles the pace, Range npt seeks; garbage gets 400', async () => {
    const cam = await h.device({ deviceId: CONTROL });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.udp());
    const call = h.call(CONTROL, channel, historyOffer(sink.port, { session: 'Playback', channelId: channel, start: START, end: START + 60 })).send();
    await answered(call);
    await sink.waitFor((s) => videoFrames(s) >= 10, 3000);

    const paused = await call.info('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
    assert.equal(paused.status, 200);
    const answer = parseMansrtsp(paused.body);
    assert.ok(answer.ok && answer.value.kind === 'response' && answer.value.status === 200 && answer.value.cseq === 1);
    await sleep(80);
    const held = sink.packets.length;
    const position = statsOf(cam).mediaSentSeconds;
    await sleep(500);
    assert.equal(sink.packets.length, held, 'no packets while paused');
    assert.equal(statsOf(cam).paused, true);

    assert.equal((await call.info('PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n')).status, 200);
    const at1x = await framesDuring(sink, 1000);
    assert.ok(at1x >= 21 && at1x <= 29, `1x: ${at1x} frames/s`);
    assert.ok(statsOf(cam).mediaSentSeconds - position < 1.5, 'resumed where it paused');

    assert.equal((await call.info('PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 2.0\r\n\r\n')).status, 200);
    await sleep(100);
    const at2x = await framesDuring(sink, 1000);
    assert.ok(at2x >= 44 && at2x <= 56, `2x: ${at2x} frames/s`);
    assert.equal(statsOf(cam).scale, 2);

    const beforeSeek = sink.demuxed.frames.at(-1)!.pts;
    assert.equal((await call.info('PLAY RTSP/1.0\r\nCSeq: 4\r\nScale: 1.0\r\nRange: npt=30-\r\n\r\n')).status, 200);
    await sleep(300);
    const seeked = statsOf(cam);
    assert.ok(seeked.mediaSentSeconds >= 30 && seeked.mediaSentSeconds < 31, `position after seek: ${seeked.mediaSentSeconds}`);
    const video = sink.demuxed.frames.filter((f) => f.kind === 'video');
    for (let i = 1; i < video.length; i++) assert.ok(video[i]!.pts > video[i - 1]!.pts, `PTS grows at ${i}`);
    assert.ok(video.at(-1)!.pts > beforeSeek);

    assert.equal((await call.info('HELLO there\r\n\r\n')).status, 400);
    assert.equal((await call.info('PLAY RTSP/1.0\r\nCSeq: 6\r\nScale: 20\r\n\r\n')).status, 400);
    assert.equal(statsOf(cam).scale, 1, 'a refused Scale changes nothing');
    assert.deepEqual(statsOf(cam).infoCommands, ['PAUSE', 'PLAY', 'PLAY', 'PLAY', 'INVALID', 'PLAY']);
    assert.equal((await call.bye()).status, 200);
  });

  test('a 4 s Download at downloadspeed 4 over TCP finishes in about 1 s with a=filesize bytes of PS', async () => {
    const cam = await h.device({ deviceId: DOWNLOAD });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.tcpListen());
    const offer = historyOffer(sink.port, { session: 'Download', channelId: channel, start: START, end: START + 4, downloadSpeed: 4, transport: 'tcp', setup: 'passive' });
    const call = h.call(DOWNLOAD, channel, offer).send();
    const lines = await answered(call);
    assert.ok(lines.includes('s=Download') && lines.includes(`t=${START} ${START + 4}`) && lines.includes('a=setup:active'));
    const fileSize = Number(lines.find((l) => l.startsWith('a=filesize:'))?.slice('a=filesize:'.length));
    assert.ok(fileSize > 0);

    await h.registrar.waitFor((r) => isMediaStatus(r, channel), 4000);
    const took = sink.lastPacketAt - sink.packets[0]!.at;
    assert.ok(took > 800 && took < 1300, `4 s at 4x took ${Math.round(took)} ms`);
    assert.equal(videoFrames(sink), 100);
    assert.equal(sink.packets.reduce((n, p) => n + p.payload.length, 0), fileSize, 'a=filesize is what was sent');
    const stats = statsOf(cam);
    assert.equal(stats.session, 'download');
    assert.equal(stats.scale, 4);
    assert.equal((await call.bye()).status, 200);
  });

  test('a BYE before the end of the range stops the media and no MediaStatus is sent', async () => {
    const cam = await h.device({ deviceId: BYE_EARLY });
    await cam.prepareMedia();
    const channel = cam.channelIds[0]!;
    const sink = h.sink(await RtpSink.udp());
    const call = h.call(BYE_EARLY, channel, historyOffer(sink.port, { session: 'Playback', channelId: channel, start: START, end: START + 2 })).send();
    await answered(call);
    await sink.waitFor((s) => videoFrames(s) >= 10, 3000);
    assert.equal((await call.bye()).status, 200);
    await sleep(40);
    const count = sink.packets.length;
    await sleep(2200);
    assert.equal(sink.packets.length, count, 'no media after the BYE');
    assert.ok(!h.registrar.received.some((r) => isMediaStatus(r, channel)));
    const stats = statsOf(cam);
    assert.equal(stats.endReason, 'bye-received');
    assert.equal(stats.mediaStatusSent, false);
  });

  test('a Playback offer without a t= range is refused with 488', async () => {
    const cam = await h.device({ deviceId: REFUSED });
    const channel = cam.channelIds[0]!;
    const call = h.call(REFUSED, channel, historyOffer(40000, { session: 'Playback', channelId: channel, start: 0, end: 0 })).send();
    assert.equal((await call.response()).status, 488);
  });
});
