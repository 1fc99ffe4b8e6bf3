/**
 * The native FLV relay (ADR 0024) end to end: the real server receives a simulated camera's PS
 * over TCP (passive and active), hands HTTP-FLV viewers of a plain H.264 stream to the reader
 * thread, and feeds JavaScript only while a JavaScript consumer is attached. Real players
 * (ffmpeg/ffprobe, plain HTTP and WebSocket clients) read what the viewers get; the stream API
 * says what the relay is doing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimDevice } from '../sim/device';
import { hasFfmpeg } from '../media/helpers/media-files';
import { collectHttp, collectWs, ffprobeStreams, run, videoPacketFlags } from '../media/out/http/helpers/clients';
import { isKeyFrameTag, isVideoFrameTag, readFlvPrefix, type FlvTag } from '../media/out/http/helpers/flv-reader';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { camera, onlineCamera, SMALL_MEDIA, startLive, type LiveStreamBody } from './helpers/live';

const skip = hasFfmpeg ? false : 'ffmpeg/ffprobe are not installed';

/** `media.nativeRelay` of the stream API (null for UDP streams or with the relay turned off). */
interface NativeRelayInfo {
  state: 'pending' | 'native' | 'bailed';
  reason: string;
  viewers: number;
  javascriptFed: boolean;
}

type StreamMedia = NonNullable<LiveStreamBody['media']> & { nativeRelay: NativeRelayInfo | null };
type StreamBody = Omit<LiveStreamBody, 'media'> & { media: StreamMedia | null };

interface StreamEvents {
  items: Array<{ channelId: string; reason: string }>;
}

/** Rejects with `what` when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An HTTP-FLV viewer that keeps reading until closed, and remembers when each chunk came. */
interface FlvWatcher {
  firstBytes: Promise<void>;
  ended: Promise<void>;
  status(): number;
  headers(): IncomingHttpHeaders;
  bytes(): number;
  /** The first bytes it got (up to 512 KiB). */
  head(): Buffer;
  /** The longest time without data since `since` (performance.now()), counting up to now. */
  longestGapSince(since: number): number;
  close(): void;
}

const HEAD_LIMIT = 512 * 1024;

function watch(url: string): FlvWatcher {
  let bytes = 0;
  let statusCode = 0;
  let responseHeaders: IncomingHttpHeaders = {};
  const arrivals: number[] = [];
  const headParts: Buffer[] = [];
  let headBytes = 0;
  let first: () => void = () => undefined;
  let end: () => void = () => undefined;
  const firstBytes = new Promise<void>((r) => (first = r));
  const ended = new Promise<void>((r) => (end = r));
  const req = get(url, (res) => {
    statusCode = res.statusCode ?? 0;
    responseHeaders = res.headers;
    res.on('data', (d: Buffer) => {
      bytes += d.length;
      arrivals.push(performance.now());
      if (headBytes < HEAD_LIMIT) {
        headParts.push(d);
        headBytes += d.length;
      }
      first();
    });
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  });
  req.on('error', end);
  return {
    firstBytes,
    ended,
    status: () => statusCode,
    headers: () => responseHeaders,
    bytes: () => bytes,
    head: () => Buffer.concat(headParts),
    longestGapSince: (since) => {
      let previous = since;
      let longest = 0;
      for (const at of arrivals) {
        if (at <= since) continue;
        longest = Math.max(longest, at - previous);
        previous = at;
      }
      return Math.max(longest, performance.now() - previous);
    },
    close: () => req.destroy(),
  };
}

/** FFmpeg reads HEVC in (enhanced) FLV from 6.1 on; Debian 12's 5.1 does not. */
async function ffmpegReadsHevcFlv(): Promise<boolean> {
  const r = await run('ffprobe', ['-version']);
  const m = /version n?(\d+)\.(\d+)/.exec(r.stdout);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 6 || (major === 6 && minor >= 1);
}

/**
 * The H.265 elementary stream (Annex B) of an FLV byte stream, enhanced ('hvc1') or codec id 12:
 * the parameter sets of its sequence header, then every frame from the first key frame on. Lets
 * an FFmpeg that cannot read HEVC in FLV still check that the pictures decode.
 */
function hevcAnnexB(tags: FlvTag[]): Buffer {
  const startCode = Buffer.from([0, 0, 0, 1]);
  const out: Buffer[] = [];
  let lengthSize = 4;
  let haveConfig = false;
  let sawKey = false;
  for (const tag of tags) {
    if (tag.type !== 9 || tag.data.length < 5) continue;
    const b0 = tag.data[0] ?? 0;
    let packetType: number;
    let payload: Buffer;
    if (b0 & 0x80) {
      if (tag.data.subarray(1, 5).toString('latin1') !== 'hvc1') continue;
      packetType = b0 & 0x0f;
      payload = tag.data.subarray(5);
      if (packetType === 1) payload = payload.subarray(3);
      else if (packetType === 3) packetType = 1;
    } else {
      if ((b0 & 0x0f) !== 12) continue;
      packetType = tag.data[1] ?? 0xff;
      payload = tag.data.subarray(5);
    }
    if (packetType === 0) {
      if (haveConfig || payload.length < 23) continue;
      lengthSize = ((payload[21] ?? 3) & 3) + 1;
      let at = 23;
      for (let i = 0, arrays = payload[22] ?? 0; i < arrays && at + 3 <= payload.length; i++) {
        const count = payload.readUInt16BE(at + 1);
        at += 3;
        for (let j = 0; j < count && at + 2 <= payload.length; j++) {
          const len = payload.readUInt16BE(at);
          out.push(startCode, payload.subarray(at + 2, at + 2 + len));
          at += 2 + len;
        }
      }
      haveConfig = true;
      continue;
    }
    if (packetType !== 1 || !haveConfig) continue;
    if (!sawKey && !isKeyFrameTag(tag)) continue;
    sawKey = true;
    for (let at = 0; at + lengthSize <= payload.length; ) {
      const len = payload.readUIntBE(at, lengthSize);
      at += lengthSize;
      out.push(startCode, payload.subarray(at, at + len));
      at += len;
    }
  }
  return Buffer.concat(out);
}

/** One server per describe block, its cameras, and a temp folder; all stopped in `after`. */
function harness(overrides: Record<string, unknown>): {
  server(): TestServer;
  work: string;
  newCamera(options?: Parameters<typeof camera>[1]): Promise<{ cam: SimDevice; channelId: string }>;
  stream(channelId: string): Promise<{ status: number; body: StreamBody }>;
  waitForStream(channelId: string, check: (s: StreamBody) => boolean, ms: number, what: string): Promise<StreamBody>;
  stop(channelId: string): Promise<void>;
} {
  let server: TestServer | undefined;
  const sims: SimDevice[] = [];
  const work = mkdtempSync(join(tmpdir(), 'gbvms-relay-'));
  const current = (): TestServer => {
    if (server === undefined) throw new Error('the server has not started');
    return server;
  };
  before(async () => {
    server = await startTestServer({ 'live.inviteTimeoutMs': 3000, 'live.readyTimeoutMs': 5000, ...overrides });
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const stream = async (channelId: string): Promise<{ status: number; body: StreamBody }> => {
    const res = await current().api(`/api/v1/streams/${channelId}`);
    return { status: res.status, body: (await res.json()) as StreamBody };
  };
  return {
    server: current,
    work,
    newCamera: async (options = {}) => {
      const cam = camera(current(), options);
      sims.push(cam);
      return { cam, channelId: await onlineCamera(current(), cam) };
    },
    stream,
    waitForStream: async (channelId, check, ms, what) => {
      let last: unknown = null;
      try {
        return await waitFor(
          async () => {
            const { status, body } = await stream(channelId);
            last = body;
            return status === 200 && check(body) ? body : null;
          },
          ms,
          what,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; the stream API last said ${JSON.stringify(last)}`);
      }
    },
    stop: async (channelId) => {
      await current().api(`/api/v1/channels/${channelId}/live`, { method: 'DELETE' });
    },
  };
}

/** The relay serves the stream alone: native, this many handed-over viewers, JavaScript not fed. */
function relayAlone(viewers: number): (s: StreamBody) => boolean {
  return (s) => s.media?.nativeRelay?.state === 'native' && s.media.nativeRelay.viewers === viewers && !s.media.nativeRelay.javascriptFed;
}

describe('the native FLV relay serves HTTP-FLV viewers of TCP and UDP streams', { skip }, () => {
  const h = harness({});

  for (const transport of ['tcp-passive', 'tcp-active', 'udp'] as const) {
    test(`over ${transport}: an HTTP-FLV viewer is handed to the relay, JavaScript stops demuxing, players get whole frames from a key frame and the API keeps its figures`, { timeout: 30_000 }, async () => {
      const { cam, channelId } = await h.newCamera();
      const { status, json } = await startLive(h.server(), channelId, { transport });
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal(json.transport, transport);
      assert.ok(cam.streamStats().some((s) => s.channelId === channelId && s.transport === transport), JSON.stringify(cam.streamStats()));
      const started = json as unknown as StreamBody;
      assert.notEqual(started.media?.nativeRelay, null, `a ${transport} stream has a relay: ${JSON.stringify(started.media)}`);

      const viewer = watch(json.urls.httpFlv);
      try {
        await within(viewer.firstBytes, 5000, 'the first bytes of the HTTP-FLV viewer');
        assert.equal(viewer.status(), 200);
        assert.match(String(viewer.headers()['content-type']), /^video\/x-flv/);

        const served = await h.waitForStream(channelId, (s) => relayAlone(1)(s) && s.media?.viewers === 1 && s.viewers === 1, 5000, 'the relay serving the one viewer alone');
        assert.equal(served.media?.nativeRelay?.reason, '');

        // What the handed-over viewer got is an FLV stream that starts at a sequence header and a key frame.
        const prefix = readFlvPrefix(viewer.head());
        assert.equal(prefix.signature, 'FLV');
        const firstVideo = prefix.tags.find((t) => t.type === 9);
        assert.ok(firstVideo !== undefined && firstVideo.data[0] === 0x17 && firstVideo.data[1] === 0, 'the first video tag is the AVC sequence header');
        const firstFrame = prefix.tags.find(isVideoFrameTag);
        assert.ok(firstFrame !== undefined && isKeyFrameTag(firstFrame), 'the first picture is a key frame');

        const flvFile = join(h.work, `${transport}.flv`);
        const rec = await run('ffmpeg', ['-v', 'error', '-y', '-i', json.urls.httpFlv, '-t', '2', '-c', 'copy', flvFile], 15_000);
        assert.equal(rec.code, 0, rec.stderr);
        const flags = await videoPacketFlags(flvFile);
        assert.ok(flags.length >= 40 && flags.length <= 60, `about 50 frames in 2 s at 25 fps, got ${flags.length}`);
        assert.ok(flags[0]?.startsWith('K'), `the first frame a new viewer gets is a key frame: ${flags.slice(0, 3).join(' ')}`);
        const video = (await ffprobeStreams(flvFile)).find((s) => s.codec_type === 'video');
        assert.equal(video?.codec_name, 'h264');
        assert.equal(video?.width, 640);
        assert.equal(video?.height, 360);

        // FFmpeg gone, the first viewer alone again; JavaScript stays unfed and the API still has its figures.
        const before = await h.waitForStream(channelId, relayAlone(1), 3000, 'the recorder leaving the relay');
        const bytesBefore = viewer.bytes();
        await sleep(2500);
        const { status: later, body } = await h.stream(channelId);
        assert.equal(later, 200);
        assert.equal(body.media?.nativeRelay?.javascriptFed, false, JSON.stringify(body.media));
        assert.ok((body.media?.fps ?? 0) > 15, `fps while the relay serves alone: ${JSON.stringify(body.media)}`);
        assert.ok((body.media?.bitrateKbps ?? 0) > 0, `bitrate while the relay serves alone: ${JSON.stringify(body.media)}`);
        assert.ok((body.media?.packets ?? 0) > (before.media?.packets ?? 0), `packets keep counting: ${before.media?.packets} then ${body.media?.packets}`);
        assert.equal(body.media?.videoCodec, 'h264');
        assert.equal(body.media?.width, 640);
        assert.ok(viewer.bytes() > bytesBefore, 'the viewer keeps getting data');
      } finally {
        viewer.close();
        await h.stop(channelId);
      }
    });
  }

  test('a WS-FLV viewer joining a relayed stream feeds JavaScript while it watches, starts at once from the cached GOP, and the native viewer never stalls', { timeout: 30_000 }, async () => {
    // A 10 s GOP: a WS-FLV viewer that had to wait for the next key frame would get no picture in its first second.
    const { channelId } = await h.newCamera({ media: { ...SMALL_MEDIA, gopFrames: 250, clipSeconds: 10 } });
    const { status, json } = await startLive(h.server(), channelId, { transport: 'tcp-passive' });
    assert.equal(status, 200, JSON.stringify(json));
    const viewer = watch(json.urls.httpFlv);
    try {
      await within(viewer.firstBytes, 5000, 'the first bytes of the HTTP-FLV viewer');
      await h.waitForStream(channelId, relayAlone(1), 5000, 'the relay serving alone');
      const since = performance.now();

      // Once fed again, JavaScript gets the GOP the relay kept since the last key frame, so its cache is whole at once.
      const wsMessages = collectWs(json.urls.wsFlv, 1500);
      const fed = await h.waitForStream(channelId, (s) => s.media?.nativeRelay?.javascriptFed === true, 2500, 'JavaScript fed while the WS-FLV viewer watches');
      assert.equal(fed.media?.nativeRelay?.state, 'native');
      assert.equal(fed.media?.nativeRelay?.viewers, 1, 'the HTTP-FLV viewer stays with the relay');
      const ws = Buffer.concat(await within(wsMessages, 6000, 'the WS-FLV viewer'));

      const prefix = readFlvPrefix(ws);
      assert.equal(prefix.signature, 'FLV');
      const firstFrame = prefix.tags.find(isVideoFrameTag);
      assert.ok(firstFrame !== undefined, `WS-FLV carried video (${ws.length} bytes, ${prefix.tags.length} tags)`);
      assert.ok(isKeyFrameTag(firstFrame), 'WS-FLV starts at a key frame');
      const wsFile = join(h.work, 'ws.flv');
      writeFileSync(wsFile, ws);
      assert.equal((await ffprobeStreams(wsFile)).find((s) => s.codec_type === 'video')?.codec_name, 'h264');

      const unfed = await h.waitForStream(channelId, relayAlone(1), 3000, 'JavaScript unfed again after the WS-FLV viewer left');
      assert.equal(unfed.viewers, 1);
      const bytesAfter = viewer.bytes();
      await sleep(500);
      assert.ok(viewer.bytes() > bytesAfter, 'the native viewer keeps getting data');
      const gap = viewer.longestGapSince(since);
      assert.ok(gap < 1000, `the native HTTP-FLV viewer went ${Math.round(gap)} ms without data while JavaScript joined and left`);
      assert.equal((await h.stream(channelId)).body.media?.nativeRelay?.viewers, 1);
    } finally {
      viewer.close();
      await h.stop(channelId);
    }
  });

  test('an H.265 camera makes the relay bail (the reason says H.265), and HTTP-FLV still plays HEVC', { timeout: 30_000 }, async () => {
    const { channelId } = await h.newCamera({ media: { ...SMALL_MEDIA, codec: 'h265' } });
    const { status, json } = await startLive(h.server(), channelId, { transport: 'tcp-passive' });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.media?.videoCodec, 'h265');
    try {
      const bailed = await h.waitForStream(channelId, (s) => s.media?.nativeRelay?.state === 'bailed', 5000, 'the relay bailing');
      assert.equal(bailed.media?.nativeRelay?.javascriptFed, true, 'JavaScript serves a stream the relay bailed on');

      const flv = await collectHttp(json.urls.httpFlv, 3000);
      assert.equal(flv.status, 200);
      const tags = readFlvPrefix(flv.body).tags;
      const firstFrame = tags.find(isVideoFrameTag);
      assert.ok(firstFrame !== undefined && isKeyFrameTag(firstFrame), `HTTP-FLV carries HEVC from a key frame (${flv.body.length} bytes)`);
      const annexB = join(h.work, 'hevc.h265');
      writeFileSync(annexB, hevcAnnexB(tags));
      const elementary = (await ffprobeStreams(annexB, ['-f', 'hevc', '-count_frames'])).find((s) => s.codec_type === 'video');
      assert.equal(elementary?.codec_name, 'hevc');
      assert.equal(elementary?.width, 640);
      assert.ok(Number(elementary?.nb_read_frames ?? 0) >= 25, `frames decoded from HTTP-FLV: ${elementary?.nb_read_frames}`);
      if (await ffmpegReadsHevcFlv()) {
        assert.equal((await ffprobeStreams(json.urls.httpFlv)).find((s) => s.codec_type === 'video')?.codec_name, 'hevc');
      }
      const after = await h.stream(channelId);
      assert.equal(after.body.media?.nativeRelay?.state, 'bailed', 'a bail is final');
      assert.equal(after.body.media?.nativeRelay?.viewers, 0, 'the relay took no viewer');
      // Last, so that a reason in other words does not hide whether the stream plays.
      assert.match(bailed.media?.nativeRelay?.reason ?? '', /H\.?265|HEVC/i, `the reason names H.265: ${JSON.stringify(bailed.media?.nativeRelay?.reason)}`);
    } finally {
      await h.stop(channelId);
    }
  });

  test('a camera with G.711A audio is relayed natively, and players get H.264 video and A-law audio', { timeout: 30_000 }, async () => {
    const { channelId } = await h.newCamera({ media: { ...SMALL_MEDIA, audio: true } });
    const { status, json } = await startLive(h.server(), channelId, { transport: 'tcp-passive' });
    assert.equal(status, 200, JSON.stringify(json));
    const viewer = watch(json.urls.httpFlv);
    try {
      await within(viewer.firstBytes, 5000, 'the first bytes of the HTTP-FLV viewer');
      await h.waitForStream(channelId, relayAlone(1), 5000, 'the relay serving the audio stream alone');
      const streams = await ffprobeStreams(json.urls.httpFlv);
      const video = streams.find((s) => s.codec_type === 'video');
      const audio = streams.find((s) => s.codec_type === 'audio');
      assert.equal(video?.codec_name, 'h264', JSON.stringify(streams));
      assert.equal(video?.width, 640);
      assert.equal(audio?.codec_name, 'pcm_alaw', JSON.stringify(streams));
      assert.equal(audio?.sample_rate, '8000');
      // ffprobe was served by the relay too: JavaScript never demuxed.
      const after = await h.stream(channelId);
      assert.equal(after.body.media?.nativeRelay?.state, 'native');
      assert.equal(after.body.media?.nativeRelay?.javascriptFed, false);
      const tags = readFlvPrefix(viewer.head()).tags;
      assert.ok(tags.some((t) => t.type === 8 && (t.data[0] ?? 0) >> 4 === 7), 'the long-running viewer gets G.711A audio tags');
    } finally {
      viewer.close();
      await h.stop(channelId);
    }
  });
});

describe('the RTP watchdog and the idle stop with a relay serving alone', { skip }, () => {
  const h = harness({ 'live.rtpTimeoutSec': 1, 'live.idleStopSec': 1 });

  test('a stream only the relay serves is not taken for silent; once its viewer leaves, the idle stop ends it with a BYE', { timeout: 30_000 }, async () => {
    const { cam, channelId } = await h.newCamera();
    const { status, json } = await startLive(h.server(), channelId, { transport: 'tcp-passive' });
    assert.equal(status, 200, JSON.stringify(json));
    const viewer = watch(json.urls.httpFlv);
    try {
      await within(viewer.firstBytes, 5000, 'the first bytes of the HTTP-FLV viewer');
      const first = await h.waitForStream(channelId, relayAlone(1), 5000, 'the relay serving alone');
      await sleep(3500);
      const { status: later, body } = await h.stream(channelId);
      assert.equal(later, 200, `a relayed stream outlives a 1 s RTP timeout: ${JSON.stringify(body)}`);
      assert.equal(body.media?.nativeRelay?.javascriptFed, false, 'JavaScript stayed unfed all along');
      assert.ok((body.media?.packets ?? 0) > (first.media?.packets ?? 0), `packets keep counting: ${first.media?.packets} then ${body.media?.packets}`);
      const events = (await (await h.server().api('/api/v1/streams/events')).json()) as StreamEvents;
      assert.deepEqual(events.items.filter((e) => e.channelId === channelId), [], 'no stream event yet');
    } finally {
      viewer.close();
    }
    await within(viewer.ended, 2000, 'the viewer connection closing');
    await waitFor(async () => (await h.stream(channelId)).status === 404, 5000, 'the idle stop after the viewer left');
    await waitFor(() => cam.streamStats().find((s) => s.channelId === channelId)?.endReason === 'bye-received', 3000, `the BYE at the camera (${JSON.stringify(cam.streamStats().map((s) => s.endReason))})`);
    const events = (await (await h.server().api('/api/v1/streams/events')).json()) as StreamEvents;
    assert.deepEqual(events.items.filter((e) => e.channelId === channelId).map((e) => e.reason), ['idle']);
  });
});

describe('with the native FLV relay turned off', { skip }, () => {
  const h = harness({ 'media.nativeFlvRelay': false });

  test('a TCP stream has no relay and JavaScript serves HTTP-FLV', { timeout: 30_000 }, async () => {
    const { channelId } = await h.newCamera();
    const { status, json } = await startLive(h.server(), channelId, { transport: 'tcp-passive' });
    assert.equal(status, 200, JSON.stringify(json));
    try {
      assert.equal((json as unknown as StreamBody).media?.nativeRelay, null);
      const video = (await ffprobeStreams(json.urls.httpFlv)).find((s) => s.codec_type === 'video');
      assert.equal(video?.codec_name, 'h264');
      assert.equal(video?.width, 640);
      assert.equal(video?.height, 360);
      const { body } = await h.stream(channelId);
      assert.equal(body.media?.nativeRelay, null);
    } finally {
      await h.stop(channelId);
    }
  });
});
