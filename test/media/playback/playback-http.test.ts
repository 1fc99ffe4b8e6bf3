import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { createMediaHttpServer, type MediaHttpServer } from '../../../src/media/out/http/media-http-server';
import { RecordingPlayer } from '../../../src/media/playback/recording-player';
import { MediaSource } from '../../../src/media/source/media-source';
import { hasFfmpeg } from '../helpers/media-files';
import { ffprobeStreams, run } from '../out/http/helpers/clients';
import { cameraStream, recordSegments, T0 } from './helpers';

const STREAM = '34020000001320000001_playback-1';

describe('a recording played through the HTTP-FLV output', { skip: !hasFfmpeg && 'ffmpeg/ffprobe not installed' }, () => {
  let tmp: string;
  let server: MediaHttpServer;
  let player: RecordingPlayer;
  let port = 0;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-playback-http-'));
    const segments = await recordSegments(join(tmp, 'rec'), cameraStream('h264', 12, true));
    const source = new MediaSource(STREAM);
    // From 3.5 s: the key frame at 3 s, then across the boundary at 4 s within the 2 s ffmpeg takes.
    player = new RecordingPlayer({ source, segments, from: T0 + 3500, logger: silentLogger() });
    // On demand, as the media node does it: the first viewer starts playback.
    source.once('viewers', () => player.start());
    server = createMediaHttpServer({ host: '127.0.0.1', port: 0, sources: { get: (s) => (s === STREAM ? source : undefined) }, tokens: null, logger: silentLogger() });
    port = (await server.listen()).port;
  });

  after(async () => {
    player.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('ffmpeg records 2 s of it: H.264 and AAC, a key frame first, about 50 frames at even 40 ms steps', async () => {
    const out = join(tmp, 'out.flv');
    const started = performance.now();
    const r = await run('ffmpeg', ['-v', 'error', '-y', '-i', `http://127.0.0.1:${port}/live/${STREAM}.flv`, '-t', '2', '-c', 'copy', out], 15_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(performance.now() - started >= 1800, 'played at the pace of the recording');
    const streams = await ffprobeStreams(out);
    const video = streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
    assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
    const packets = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', out]);
    assert.equal(packets.code, 0, packets.stderr);
    const rows = packets.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(','));
    assert.ok(rows.length >= 45 && rows.length <= 55, `${rows.length} frames in 2 s`);
    assert.match(rows[0]?.[1] ?? '', /^K/, 'a key frame first');
    const times = rows.map((r) => Number(r[0]));
    for (let i = 1; i < times.length; i++) {
      const step = times[i]! - times[i - 1]!;
      assert.ok(Math.abs(step - 0.04) < 0.0015, `frame ${i}: step ${step.toFixed(3)} s (across the 4 s boundary too)`);
    }
    assert.ok(player.position > T0 + 4500, 'playback went past the segment boundary');
  });
});
