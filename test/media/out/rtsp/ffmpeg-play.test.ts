import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../../src/logger';
import { createUrlTokenSigner } from '../../../../src/media/access/url-token';
import { createRtspServer, type RtspServer } from '../../../../src/media/out/rtsp/rtsp-server';
import { hasFfmpeg, probe } from '../../helpers/media-files';
import { clip, LiveFeed } from './helpers/live-feed';

const tokens = createUrlTokenSigner('ffmpeg-secret');

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Flags of the first video packets of a file ('K' marks a key frame). */
async function videoPacketFlags(path: string): Promise<string[]> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=flags', '-of', 'csv=p=0', path]);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('RTSP played by ffmpeg and ffprobe', { skip: !hasFfmpeg && 'ffmpeg is not installed', concurrency: true }, () => {
  let server: RtspServer;
  let port = 0;
  let dir = '';
  const feeds = new Map<string, LiveFeed>();
  const url = (stream: string): string => `rtsp://127.0.0.1:${port}/live/${stream}?token=${tokens.sign(stream, 60)}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gbvms-rtsp-'));
    feeds.set('avc-aac', new LiveFeed('avc-aac', clip('h264', 'aac')).start());
    feeds.set('avc-alaw', new LiveFeed('avc-alaw', clip('h264', 'g711a')).start());
    feeds.set('hevc', new LiveFeed('hevc', clip('h265')).start());
    server = createRtspServer({ host: '127.0.0.1', port: 0, sources: { get: (s) => feeds.get(s)?.source }, tokens, logger: silentLogger() });
    port = (await server.listen()).port;
  });

  after(async () => {
    for (const f of feeds.values()) f.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ffprobe over TCP sees H.264 640x360 and AAC', async () => {
    const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', url('avc-aac')]);
    assert.equal(r.code, 0, r.stderr);
    const streams = (JSON.parse(r.stdout) as { streams: { codec_name: string; width?: number; height?: number; sample_rate?: string }[] }).streams;
    const v = streams.find((s) => s.codec_name === 'h264');
    assert.deepEqual([v?.width, v?.height], [640, 360]);
    assert.equal(streams.find((s) => s.codec_name === 'aac')?.sample_rate, '8000');
  });

  test('ffprobe over TCP sees H.265 640x360', async () => {
    const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', url('hevc')]);
    assert.equal(r.code, 0, r.stderr);
    const v = (JSON.parse(r.stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams.find((s) => s.codec_name === 'hevc');
    assert.deepEqual([v?.width, v?.height], [640, 360]);
  });

  test('ffmpeg over TCP records 2 s of H.264 + AAC: about 50 frames, starting at a key frame, decoding without errors', async () => {
    const out = join(dir, 'tcp.mp4');
    const r = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url('avc-aac'), '-t', '2', '-c', 'copy', '-y', out]);
    assert.equal(r.code, 0, r.stderr);
    const streams = probe(out);
    const v = streams.find((s) => s.codec_name === 'h264');
    assert.deepEqual([v?.width, v?.height], [640, 360]);
    const frames = Number(v?.nb_read_frames);
    assert.ok(frames >= 45 && frames <= 52, `${frames} frames`);
    assert.ok(Number(streams.find((s) => s.codec_name === 'aac')?.nb_read_frames) >= 10, 'AAC frames');
    assert.match((await videoPacketFlags(out))[0] ?? '', /^K/);
    const decode = await run('ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']);
    assert.equal(decode.stderr, '', 'decodes cleanly');
  });

  test('ffmpeg over UDP records 2 s of H.264 + G.711A', async () => {
    const out = join(dir, 'udp.mkv');
    const r = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'udp', '-i', url('avc-alaw'), '-t', '2', '-c', 'copy', '-y', out]);
    assert.equal(r.code, 0, r.stderr);
    const streams = probe(out);
    const frames = Number(streams.find((s) => s.codec_name === 'h264')?.nb_read_frames);
    assert.ok(frames >= 45 && frames <= 52, `${frames} frames`);
    assert.ok(streams.some((s) => s.codec_name === 'pcm_alaw'));
    assert.match((await videoPacketFlags(out))[0] ?? '', /^K/);
  });

  test('ffmpeg over TCP records 2 s of H.265 that decode without errors', async () => {
    const out = join(dir, 'hevc.mp4');
    const r = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url('hevc'), '-t', '2', '-c', 'copy', '-y', out]);
    assert.equal(r.code, 0, r.stderr);
    const v = probe(out).find((s) => s.codec_name === 'hevc');
    assert.deepEqual([v?.width, v?.height], [640, 360]);
    const frames = Number(v?.nb_read_frames);
    assert.ok(frames >= 45 && frames <= 52, `${frames} frames`);
    const decode = await run('ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']);
    assert.equal(decode.stderr, '', 'decodes cleanly');
  });

  test('ffprobe with a bad token or for an unknown stream fails with 401 and 404', async () => {
    const bad = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url('avc-aac').replace(/token=[^&]+/, 'token=1.bad')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401/);
    const missing = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url('nosuch')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /404/);
  });
});
