import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../../src/logger';
import { createUrlTokenSigner } from '../../../../src/media/access/url-token';
import { createMediaHttpServer, type MediaHttpServer } from '../../../../src/media/out/http/media-http-server';
import { hasFfmpeg } from '../../helpers/media-files';
import { ffprobeStreams, run } from '../http/helpers/clients';
import { startLiveFeed, type LiveFeed } from '../http/helpers/live-feed';

const H265 = '34020000001320000031';
const H264 = '34020000001320000032';

describe('HLS with fMP4 segments for H.265', { skip: !hasFfmpeg && 'ffmpeg/ffprobe not installed', concurrency: true }, () => {
  const signer = createUrlTokenSigner('fmp4-test-secret');
  const feeds = new Map<string, LiveFeed>();
  let server: MediaHttpServer;
  let port = 0;
  const playlistUrl = (stream: string): string => `http://127.0.0.1:${port}/live/${stream}/index.m3u8?token=${signer.sign(stream, 60)}`;

  before(async () => {
    feeds.set(H265, startLiveFeed(H265, { codec: 'h265', clip: 'h265-640x360.hevc', audio: 'aac' }));
    feeds.set(H264, startLiveFeed(H264, { codec: 'h264', clip: 'h264-320x240.h264' }));
    server = createMediaHttpServer({
      host: '127.0.0.1',
      port: 0,
      sources: { get: (s) => feeds.get(s)?.source },
      tokens: signer,
      hlsTargetDurationSec: 1,
      hlsIdleMs: 5000,
      logger: silentLogger(),
    });
    port = (await server.listen()).port;
  });

  after(async () => {
    await server.close();
    for (const feed of feeds.values()) feed.stop();
  });

  test('an H.265 playlist is version 7 with EXT-X-MAP, and the init and .m4s segments are served with the token', async () => {
    const url = playlistUrl(H265);
    const text = await (await fetch(url)).text();
    const token = new URL(url).searchParams.get('token') ?? '';
    const lines = text.split('\n');
    assert.ok(lines.includes('#EXT-X-VERSION:7'), text);
    assert.ok(lines.includes(`#EXT-X-MAP:URI="init.mp4?token=${token}"`), text);
    const segments = lines.filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(segments.length >= 1, text);
    for (const uri of segments) assert.match(uri, new RegExp(`^segment-\\d+\\.m4s\\?token=${token}$`));

    const init = await fetch(new URL(`init.mp4?token=${token}`, url));
    assert.equal(init.status, 200);
    assert.equal(init.headers.get('content-type'), 'video/mp4');
    const initBody = Buffer.from(await init.arrayBuffer());
    assert.equal(initBody.toString('latin1', 4, 8), 'ftyp');
    assert.ok(initBody.includes('hvcC'), 'the init segment describes H.265');

    const segment = await fetch(new URL(segments[0] ?? '', url));
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/iso.segment');
    const body = Buffer.from(await segment.arrayBuffer());
    assert.equal(body.toString('latin1', 4, 8), 'moof');

    const bare = await fetch(`http://127.0.0.1:${port}/live/${H265}/init.mp4`);
    assert.equal(bare.status, 401);
    const missing = await fetch(`http://127.0.0.1:${port}/live/${H265}/init-9.mp4?token=${token}`);
    assert.equal(missing.status, 404);
  });

  test('ffprobe on the H.265 m3u8 URL sees hevc 640x360 with AAC', async () => {
    const streams = await ffprobeStreams(playlistUrl(H265));
    const video = streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'hevc');
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
    assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
  });

  test('ffmpeg plays the live H.265 fMP4 HLS for two seconds without decode errors', async () => {
    const result = await run('ffmpeg', ['-v', 'error', '-i', playlistUrl(H265), '-t', '2', '-f', 'null', '-'], 10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.trim(), '');
  });

  test('H.264 stays on MPEG-TS segments without EXT-X-MAP', async () => {
    const text = await (await fetch(playlistUrl(H264))).text();
    assert.ok(text.includes('#EXT-X-VERSION:3'), text);
    assert.ok(!text.includes('#EXT-X-MAP'), text);
    assert.match(text, /^segment-\d+\.ts\?token=/m);
  });
});
