import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUrlTokenSigner } from '../../../../src/media/access/url-token';
import { createMediaHttpServer, type MediaHttpServer } from '../../../../src/media/out/http/media-http-server';
import { silentLogger } from '../../../../src/logger';
import { hasFfmpeg } from '../../helpers/media-files';
import { ffprobeStreams } from './helpers/clients';
import { startLiveFeed, type LiveFeed } from './helpers/live-feed';

const H264_AAC = '34020000001320000011';
const H265 = '34020000001320000012';
const IDLE = '34020000001320000013';
const IDLE_MS = 1500;

describe('HLS played by real clients', { skip: !hasFfmpeg && 'ffmpeg/ffprobe not installed', concurrency: true }, () => {
  const signer = createUrlTokenSigner('hls-test-secret');
  const feeds = new Map<string, LiveFeed>();
  let server: MediaHttpServer;
  let port = 0;

  const playlistUrl = (stream: string): string => `http://127.0.0.1:${port}/live/${stream}/index.m3u8?token=${signer.sign(stream, 60)}`;

  before(async () => {
    feeds.set(H264_AAC, startLiveFeed(H264_AAC, { codec: 'h264', clip: 'h264-640x360.h264', audio: 'aac' }));
    feeds.set(H265, startLiveFeed(H265, { codec: 'h265', clip: 'h265-640x360.hevc' }));
    feeds.set(IDLE, startLiveFeed(IDLE, { codec: 'h264', clip: 'h264-320x240.h264' }));
    server = createMediaHttpServer({
      host: '127.0.0.1',
      port: 0,
      sources: { get: (s) => feeds.get(s)?.source },
      tokens: signer,
      hlsTargetDurationSec: 1,
      hlsIdleMs: IDLE_MS,
      logger: silentLogger(),
    });
    port = (await server.listen()).port;
  });

  after(async () => {
    await server.close();
    for (const feed of feeds.values()) feed.stop();
  });

  test('the first playlist request waits for a segment; segment URIs carry the token and serve MPEG-TS', async () => {
    const url = playlistUrl(H264_AAC);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const text = await res.text();
    const lines = text.split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.ok(lines.includes('#EXT-X-TARGETDURATION:1'), text);
    assert.ok(!text.includes('#EXT-X-ENDLIST'), 'a live playlist');
    const uris = lines.filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(uris.length >= 1, `no segment listed:\n${text}`);
    const token = new URL(url).searchParams.get('token') ?? '';
    for (const uri of uris) assert.equal(uri, `segment-${/segment-(\d+)/.exec(uri)?.[1]}.ts?token=${token}`);
    const segment = await fetch(new URL(uris[0] ?? '', url));
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/mp2t');
    const body = Buffer.from(await segment.arrayBuffer());
    assert.ok(body.length > 0 && body.length % 188 === 0);
    assert.equal(body[0], 0x47);
  });

  test('the live playlist slides on: new segments with consecutive numbers from EXT-X-MEDIA-SEQUENCE', async () => {
    const read = async (): Promise<{ sequence: number; numbers: number[] }> => {
      const text = await (await fetch(playlistUrl(H265))).text();
      const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
      const numbers = [...text.matchAll(/^segment-(\d+)\.(?:ts|m4s)\?token=/gm)].map((m) => Number(m[1]));
      return { sequence, numbers };
    };
    const first = await read();
    let later = first;
    // Polling as a player does (more often than the idle timeout), which keeps the segmenter attached.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 400));
      later = await read();
    }
    for (const p of [first, later]) {
      assert.equal(p.numbers[0], p.sequence);
      assert.deepEqual(p.numbers, p.numbers.map((_, i) => p.sequence + i));
    }
    assert.ok((later.numbers.at(-1) ?? 0) >= (first.numbers.at(-1) ?? 0) + 2, `${JSON.stringify(first)} then ${JSON.stringify(later)}`);
  });

  test('ffprobe on the m3u8 URL sees H.264 640x360 with AAC', async () => {
    const streams = await ffprobeStreams(playlistUrl(H264_AAC));
    const video = streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
    assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
  });

  test('H.265 is served over HLS (fMP4 segments) and ffprobe reads it', async () => {
    const video = (await ffprobeStreams(playlistUrl(H265))).find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'hevc');
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
  });

  test('a segment without the token is refused with 401, a segment that does not exist is 404', async () => {
    const listed = await (await fetch(playlistUrl(H264_AAC))).text();
    const name = listed.split('\n').find((l) => l.startsWith('segment-'))?.split('?')[0];
    assert.ok(name);
    const bare = await fetch(`http://127.0.0.1:${port}/live/${H264_AAC}/${name}`);
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { error: { code: string } }).error.code, 'token_missing');
    const missing = await fetch(`http://127.0.0.1:${port}/live/${H264_AAC}/segment-99999.ts?token=${signer.sign(H264_AAC, 60)}`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'segment_not_found');
  });

  test(`the segmenter counts as a viewer and detaches after ${IDLE_MS} ms without requests`, async () => {
    const source = feeds.get(IDLE)?.source;
    assert.ok(source);
    const counts: number[] = [];
    source.on('viewers', (n) => counts.push(n));
    assert.equal((await fetch(playlistUrl(IDLE))).status, 200);
    assert.equal(source.viewers, 1);
    assert.ok(server.stats().hls.some((h) => h.stream === IDLE));
    // Requests keep it alive past the idle time...
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, IDLE_MS / 3));
      await (await fetch(playlistUrl(IDLE))).text();
    }
    const lastRequest = performance.now();
    assert.equal(source.viewers, 1);
    // ...silence lets it go, not before the idle time.
    const detached = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), IDLE_MS * 3);
      source.once('viewers', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const silentFor = performance.now() - lastRequest;
    assert.ok(detached, 'the segmenter detached');
    assert.ok(silentFor >= IDLE_MS - 100 && silentFor < IDLE_MS + 1000, `detached after ${Math.round(silentFor)} ms of silence`);
    assert.equal(source.viewers, 0);
    assert.deepEqual(counts, [1, 0]);
    assert.ok(!server.stats().hls.some((h) => h.stream === IDLE));
  });
});
