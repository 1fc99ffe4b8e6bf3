import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../../src/logger';
import { createUrlTokenSigner } from '../../../../src/media/access/url-token';
import { createRtspServer, type RtspServer } from '../../../../src/media/out/rtsp/rtsp-server';
import { parseRtpPacket, type RtpPacket } from '../../../../src/media/rtp/packet';
import { MediaSource } from '../../../../src/media/source/media-source';
import { freePort } from '../../../helpers/ports';
import { clip, type Clip } from './helpers/live-feed';
import { depacketizeVideo } from './helpers/depacketize';
import { controlUrls, RawRtspClient } from './helpers/rtsp-client';

const tokens = createUrlTokenSigner('rtsp-test-secret');
const AV = clip('h264', 'aac');

/** A source holding the clip's first `count` units: a key frame and what follows it. */
function sourceWith(c: Clip, count: number, name = 'cam'): MediaSource {
  const source = new MediaSource(name);
  for (const p of c.params) source.setParams(p);
  for (const au of c.units.slice(0, count)) source.push(au);
  return source;
}

function rtpOf(frames: { channel: number; data: Buffer }[], channel: number): RtpPacket[] {
  return frames.filter((f) => f.channel === channel).map((f) => parseRtpPacket(f.data) as RtpPacket);
}

function rtpInfo(value: string | undefined): { url: string; seq: number; rtptime: number }[] {
  return (value ?? '').split(',').map((part) => {
    const fields = new Map(part.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    return { url: fields.get('url') ?? '', seq: Number(fields.get('seq')), rtptime: Number(fields.get('rtptime')) };
  });
}

/** Polls `condition` until it holds or `timeoutMs` passes (for UDP arrivals, which wake no client). */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

interface Harness {
  server: RtspServer;
  port: number;
  sources: Map<string, MediaSource>;
  clients: RawRtspClient[];
  url(stream: string, token?: string): string;
  client(): Promise<RawRtspClient>;
}

async function startHarness(options: { sessionTimeoutSec?: number; readyTimeoutSec?: number; udpPorts?: { min: number; max: number } } = {}): Promise<Harness> {
  const sources = new Map<string, MediaSource>();
  const server = createRtspServer({ host: '127.0.0.1', port: 0, sources: { get: (s) => sources.get(s) }, tokens, logger: silentLogger(), ...options });
  const { port } = await server.listen();
  const clients: RawRtspClient[] = [];
  return {
    server,
    port,
    sources,
    clients,
    url: (stream, token = tokens.sign(stream, 60)) => `rtsp://127.0.0.1:${port}/live/${stream}?token=${token}`,
    client: async () => {
      const c = await RawRtspClient.connect(port);
      clients.push(c);
      return c;
    },
  };
}

async function stopHarness(h: Harness): Promise<void> {
  for (const c of h.clients) c.close();
  await h.server.close();
}

/** DESCRIBE, SETUP of every track over TCP, PLAY: what a player does. */
async function playTcp(h: Harness, c: RawRtspClient, stream: string) {
  const described = await c.request('DESCRIBE', h.url(stream), { Accept: 'application/sdp' });
  assert.equal(described.status, 200, 'DESCRIBE');
  const urls = controlUrls(described.body);
  let session = '';
  const transports: string[] = [];
  for (const [i, url] of urls.entries()) {
    const reply = await c.request('SETUP', url, { Transport: `RTP/AVP/TCP;unicast;interleaved=${i * 2}-${i * 2 + 1}`, ...(session ? { Session: session } : {}) });
    assert.equal(reply.status, 200, `SETUP ${url}`);
    session = (reply.headers.get('session') ?? '').split(';')[0] ?? '';
    transports.push(reply.headers.get('transport') ?? '');
  }
  const played = await c.request('PLAY', h.url(stream), { Session: session, Range: 'npt=0.000-' });
  assert.equal(played.status, 200, 'PLAY');
  return { described, urls, session, transports, played, playIndex: c.replies.length - 1 };
}

describe('RTSP server: requests and answers', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.sources.set('cam', sourceWith(AV, 30));
  });
  after(() => stopHarness(h));

  test('OPTIONS lists the methods the server answers', async () => {
    const c = await h.client();
    const reply = await c.request('OPTIONS', h.url('cam'));
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('cseq'), '1');
    assert.equal(reply.headers.get('public'), 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER');
  });

  test('DESCRIBE without a token, with a bad one or with another stream’s answers 401', async () => {
    const c = await h.client();
    assert.equal((await c.request('DESCRIBE', `rtsp://127.0.0.1:${h.port}/live/cam`)).status, 401);
    assert.equal((await c.request('DESCRIBE', h.url('cam', '123.AAAAAAAAAAAAAAAAAAAAAAAA'))).status, 401);
    assert.equal((await c.request('DESCRIBE', h.url('cam', tokens.sign('other', 60)))).status, 401);
    assert.equal((await c.request('SETUP', `rtsp://127.0.0.1:${h.port}/live/cam/trackID=0`, { Transport: 'RTP/AVP/TCP;interleaved=0-1' })).status, 401);
  });

  test('an unknown stream answers 404, and so does a path outside /live/', async () => {
    const c = await h.client();
    assert.equal((await c.request('DESCRIBE', h.url('nosuchcam'))).status, 404);
    assert.equal((await c.request('DESCRIBE', `rtsp://127.0.0.1:${h.port}/vod/cam`)).status, 404);
  });

  test('an unknown method answers 501, another version 505, a request without CSeq or with a garbage line 400; the connection goes on', async () => {
    const c = await h.client();
    assert.equal((await c.request('RECORD', h.url('cam'))).status, 501);
    c.send('OPTIONS * RTSP/2.0\r\nCSeq: 9\r\n\r\n');
    c.send('OPTIONS * RTSP/1.0\r\n\r\n');
    c.send('this is not rtsp\r\nCSeq: 11\r\n\r\n');
    await c.waitFor(() => c.replies.length === 4, 2000, 'three answers');
    assert.deepEqual(c.replies.slice(1).map((r) => [r.status, r.headers.get('cseq')]), [[505, '9'], [400, undefined], [400, '11']]);
    assert.equal((await c.request('OPTIONS', '*')).status, 200);
  });

  test('a header that never ends gets 400 and the connection is closed', async () => {
    const c = await h.client();
    c.send(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(9000)}`);
    await c.waitClosed(2000);
    assert.equal(c.replies[0]?.status, 400);
  });

  test('PLAY, PAUSE, TEARDOWN and GET_PARAMETER with an unknown session answer 454', async () => {
    const c = await h.client();
    for (const m of ['PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER']) assert.equal((await c.request(m, h.url('cam'), { Session: 'deadbeef' })).status, 454, m);
  });

  test('several requests in one write are answered in order; a request sent a byte at a time is answered once whole', async () => {
    const c = await h.client();
    const describe = `DESCRIBE ${h.url('cam')} RTSP/1.0\r\nCSeq: 1\r\n\r\n`;
    c.send(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n${describe}GET_PARAMETER * RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 3\r\n\r\nabcOPTIONS * RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
    await c.waitFor(() => c.replies.length === 4, 2000, 'four answers');
    assert.deepEqual(c.replies.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(c.replies[1]?.headers.get('content-type'), 'application/sdp');
    const slow = `OPTIONS * RTSP/1.0\r\nCSeq: 42\r\n\r\n`;
    for (const ch of slow) {
      c.send(ch);
      await new Promise((r) => setImmediate(r));
    }
    await c.waitFor(() => c.replies.length === 5, 2000, 'the answer to the slow request');
    assert.equal(c.replies[4]?.headers.get('cseq'), '42');
  });

  test('SETUP with the token works without a DESCRIBE, and a session’s further SETUPs need none; a track the stream lacks answers 404, the aggregate URL 459', async () => {
    const c = await h.client();
    const base = `rtsp://127.0.0.1:${h.port}/live/cam`;
    const token = `?token=${tokens.sign('cam', 60)}`;
    assert.equal((await c.request('SETUP', `${base}/trackID=7${token}`, { Transport: 'RTP/AVP/TCP;interleaved=0-1' })).status, 404);
    assert.equal((await c.request('SETUP', `${base}${token}`, { Transport: 'RTP/AVP/TCP;interleaved=0-1' })).status, 459);
    assert.equal((await c.request('SETUP', `${base}/trackID=0${token}`, { Transport: 'RTP/AVP;multicast' })).status, 461);
    const ok = await c.request('SETUP', `${base}/trackID=0${token}`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('session') ?? '', /^[0-9a-f]{16};timeout=60$/);
    assert.match(ok.headers.get('transport') ?? '', /^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}$/);
    const session = ok.headers.get('session')?.split(';')[0] ?? '';
    // The session proves access: its next track needs no token; without the session it does.
    assert.equal((await c.request('SETUP', `${base}/trackID=1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3' })).status, 401);
    assert.equal((await c.request('SETUP', `${base}/trackID=1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3', Session: session })).status, 200);
    assert.equal((await c.request('TEARDOWN', base, { Session: session })).status, 200);
    assert.equal((await c.request('PLAY', base, { Session: session })).status, 454);
  });
});

describe('RTSP server: playing over TCP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => stopHarness(h));

  test('PLAY is answered first, then the stream starts at the key frame with SPS and PPS, at the seq and rtptime of RTP-Info', async () => {
    // Key frame, then 20 more units: the newest frame is a P frame.
    const source = sourceWith(AV, 30, 'cam1');
    h.sources.set('cam1', source);
    const c = await h.client();
    const { described, urls, transports, played, playIndex } = await playTcp(h, c, 'cam1');
    assert.match(described.body, /m=video 0 RTP\/AVP 96/);
    assert.match(described.body, /m=audio 0 RTP\/AVP 97/);
    assert.equal(c.framesBeforeReply[playIndex], 0, 'no RTP before the PLAY answer');
    const videoUnits = AV.units.slice(0, 30).filter((u) => u.kind === 'video').length;
    await c.waitFor(() => rtpOf(c.frames, 0).filter((p) => p.marker).length >= videoUnits, 2000, 'the cached GOP');
    const video = rtpOf(c.frames, 0);
    const audio = rtpOf(c.frames, 2);
    const units = depacketizeVideo('h264', video);
    assert.ok(Array.isArray(units), String(units));
    assert.deepEqual(units[0]?.map((n) => (n[0] ?? 0) & 0x1f).filter((t) => t !== 6), [7, 8, 5], 'SPS, PPS, IDR first');
    assert.equal(units.length, videoUnits);
    const info = rtpInfo(played.headers.get('rtp-info'));
    assert.deepEqual(info.map((i) => i.url), urls, 'RTP-Info names the URLs the tracks were set up with');
    assert.equal(video[0]?.sequenceNumber, info[0]?.seq);
    assert.equal(video[0]?.timestamp, info[0]?.rtptime);
    assert.equal(audio[0]?.sequenceNumber, info[1]?.seq);
    assert.equal(video[0]?.ssrc.toString(16).toUpperCase().padStart(8, '0'), /ssrc=([0-9A-F]{8})/.exec(transports[0] ?? '')?.[1]);
    // 90 kHz for video, the sample rate for audio, both from the key frame's presentation time.
    const key = AV.units[0]!;
    const lastVideo = AV.units.slice(0, 30).filter((u) => u.kind === 'video').at(-1)!;
    assert.equal((video.at(-1)!.timestamp - info[0]!.rtptime) >>> 0, lastVideo.pts - key.pts);
    const audioUnits = AV.units.slice(0, 30).filter((u) => u.kind === 'audio');
    assert.equal(audio.length, audioUnits.length);
    assert.equal((audio.at(-1)!.timestamp - info[1]!.rtptime) >>> 0, Math.round(((audioUnits.at(-1)!.pts - key.pts) * 8000) / 90000));
    assert.equal(h.server.stats().playing, 1);

    // Live frames follow; RTCP from the client ('$' on channel 1) is skipped without a word.
    c.send(Buffer.from([0x24, 1, 0, 8, 0x81, 0xc9, 0, 1, 0, 0, 0, 1]));
    const before = rtpOf(c.frames, 0).filter((p) => p.marker).length;
    for (const au of AV.units.slice(30, 40)) source.push(au);
    await c.waitFor(() => rtpOf(c.frames, 0).filter((p) => p.marker).length >= before + AV.units.slice(30, 40).filter((u) => u.kind === 'video').length, 2000, 'live frames');
    assert.equal((await c.request('GET_PARAMETER', h.url('cam1'), { Session: played.headers.get('session')!.split(';')[0]! })).status, 200);
  });

  test('PAUSE stops the flow; PLAY resumes at a key frame, the sequence numbers going on', async () => {
    const source = sourceWith(AV, 10, 'cam2');
    h.sources.set('cam2', source);
    const c = await h.client();
    const { session } = await playTcp(h, c, 'cam2');
    await c.waitFor(() => rtpOf(c.frames, 0).some((p) => p.marker), 2000, 'video');
    assert.equal((await c.request('PAUSE', h.url('cam2'), { Session: session })).status, 200);
    const seen = c.frames.length;
    for (const au of AV.units.slice(10, 20)) source.push(au);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.frames.length, seen, 'nothing while paused');
    const lastSeq = rtpOf(c.frames, 0).at(-1)!.sequenceNumber;
    const resumed = await c.request('PLAY', h.url('cam2'), { Session: session });
    assert.equal(resumed.status, 200);
    assert.equal(rtpInfo(resumed.headers.get('rtp-info'))[0]?.seq, (lastSeq + 1) & 0xffff);
    await c.waitFor(() => rtpOf(c.frames.slice(seen), 0).some((p) => p.marker), 2000, 'video after the pause');
    const units = depacketizeVideo('h264', rtpOf(c.frames.slice(seen), 0));
    assert.ok(Array.isArray(units), String(units));
    assert.ok(units[0]?.some((n) => ((n[0] ?? 0) & 0x1f) === 5), 'a key frame first');
  });

  test('when the stream ends the client gets an RTCP BYE and its connection closes', async () => {
    const source = sourceWith(AV, 5, 'cam3');
    h.sources.set('cam3', source);
    const c = await h.client();
    await playTcp(h, c, 'cam3');
    source.end('camera gone');
    await c.waitClosed(2000);
    assert.ok(c.frames.some((f) => f.channel === 1 && f.data[1] === 203), 'a BYE on the video RTCP channel');
  });
});

describe('RTSP server: keepalive and shutdown', () => {
  test('a session without keepalives is ended after the timeout; one that sends GET_PARAMETER lives on', async () => {
    const h = await startHarness({ sessionTimeoutSec: 0.6 });
    try {
      h.sources.set('cam', sourceWith(AV, 5));
      const silent = await h.client();
      const chatty = await h.client();
      await playTcp(h, silent, 'cam');
      const { session, played } = await playTcp(h, chatty, 'cam');
      assert.equal(played.headers.get('session'), `${session};timeout=1`);
      const timer = setInterval(() => void chatty.request('GET_PARAMETER', h.url('cam'), { Session: session }).catch(() => undefined), 150);
      try {
        await silent.waitClosed(2500);
      } finally {
        clearInterval(timer);
      }
      assert.equal(chatty.closed, false);
      const stats = h.server.stats();
      assert.equal(stats.timeouts, 1);
      assert.equal(stats.sessions, 1);
    } finally {
      await stopHarness(h);
    }
  });

  test('close() ends playing sessions and their connections at once', async () => {
    const h = await startHarness();
    h.sources.set('cam', sourceWith(AV, 5));
    const c = await h.client();
    await playTcp(h, c, 'cam');
    const started = Date.now();
    await h.server.close();
    await c.waitClosed(1000);
    assert.ok(Date.now() - started < 1000);
    assert.equal(h.sources.get('cam')?.viewers, 0);
    assert.equal(h.server.stats().sessions, 0);
  });

  test('a DESCRIBE for a stream that is still starting waits for its first key frame', async () => {
    const h = await startHarness({ readyTimeoutSec: 0.3 });
    try {
      const late = new MediaSource('late');
      const never = new MediaSource('never');
      h.sources.set('late', late);
      h.sources.set('never', never);
      const c = await h.client();
      setTimeout(() => {
        for (const p of AV.params) late.setParams(p);
        late.push(AV.units[0]!);
      }, 100);
      assert.equal((await c.request('DESCRIBE', h.url('late'))).status, 200);
      assert.equal((await c.request('DESCRIBE', h.url('never'))).status, 503);
    } finally {
      await stopHarness(h);
    }
  });
});

describe('RTSP server: RTP over UDP', () => {
  const sockets: UdpSocket[] = [];
  let h: Harness;
  let min = 0;
  before(async () => {
    min = await freePort();
    h = await startHarness({ udpPorts: { min, max: min + 9 } });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await stopHarness(h);
  });

  test('SETUP with client_port gets a server_port pair from the range; RTP and RTCP arrive from it', async () => {
    h.sources.set('cam', sourceWith(AV, 30));
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    sockets.push(rtp, rtcp);
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    const rtpPort = rtp.address().port;
    await new Promise<void>((r) => rtcp.bind(rtpPort + 1, '127.0.0.1', r));
    const got: { port: number; packet: RtpPacket | null; rtcp: boolean }[] = [];
    rtp.on('message', (m, from) => got.push({ port: from.port, packet: parseRtpPacket(m), rtcp: false }));
    rtcp.on('message', (m, from) => got.push({ port: from.port, packet: null, rtcp: m[1] === 200 }));

    const c = await h.client();
    const described = await c.request('DESCRIBE', h.url('cam'));
    const setup = await c.request('SETUP', controlUrls(described.body)[0]!, { Transport: `RTP/AVP;unicast;client_port=${rtpPort}-${rtpPort + 1}` });
    assert.equal(setup.status, 200);
    const m = /^RTP\/AVP;unicast;client_port=(\d+)-(\d+);server_port=(\d+)-(\d+);ssrc=[0-9A-F]{8}$/.exec(setup.headers.get('transport') ?? '');
    assert.ok(m, setup.headers.get('transport'));
    const [serverRtp, serverRtcp] = [Number(m[3]), Number(m[4])];
    assert.equal(serverRtp % 2, 0);
    assert.equal(serverRtcp, serverRtp + 1);
    assert.ok(serverRtp >= min && serverRtcp <= min + 9, `${serverRtp} in the configured range`);
    const session = setup.headers.get('session')!.split(';')[0]!;
    const played = await c.request('PLAY', h.url('cam'), { Session: session });
    assert.equal(played.status, 200);
    await until(() => got.some((g) => g.rtcp) && got.filter((g) => g.packet !== null).length > 10, 2000);
    const media = got.filter((g) => g.packet !== null);
    assert.ok(media.length > 10);
    assert.ok(media.every((g) => g.port === serverRtp));
    assert.equal(media[0]?.packet?.sequenceNumber, rtpInfo(played.headers.get('rtp-info'))[0]?.seq);
    assert.ok(got.some((g) => g.rtcp && g.port === serverRtcp), 'a sender report from the RTCP port');
    assert.equal(h.server.stats().udpSessions, 1);
    assert.equal((await c.request('TEARDOWN', h.url('cam'), { Session: session })).status, 200);
    assert.equal(h.server.stats().sessions, 0);
  });
});
