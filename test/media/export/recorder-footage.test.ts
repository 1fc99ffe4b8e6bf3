import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { exportClip } from '../../../src/media/export/export-clip';
import { SegmentWriter } from '../../../src/media/record/segment-writer';
import type { FinishedSegment } from '../../../src/media/record/types';
import { FIRST_PTS, liveStream } from '../record/helpers';
import { CHANNEL, decodeErrors, firstFrameIsKey, hasFfmpeg, probe, T0, videoOf } from './helpers';

/**
 * Footage as our own recorder writes it (TsMuxer, timestamps running on from the camera's, a
 * 2 s GOP, AAC), not ffmpeg's: the export must read its key frames and timeline the same way.
 */
describe('exporting what the SegmentWriter recorded', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let root: string;
  const segments: FinishedSegment[] = [];
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'gbvms-export-rec-'));
    let now = T0;
    const writer = new SegmentWriter({ root, channelId: CHANNEL, deviceId: '34020000001110000001', segmentSeconds: 4, clock: () => now, logger: silentLogger(), onSegment: (s) => segments.push(s) });
    const stream = liveStream(14, true);
    writer.start(stream.tracks);
    for (const au of stream.units) {
      now = T0 + (au.dts - FIRST_PTS) / 90;
      writer.write(au);
    }
    writer.end('stream-ended');
    await writer.idle();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a clip across the recorder\'s segments starts on its key frame, runs to the end asked and plays', async () => {
    assert.deepEqual(segments.map((s) => [s.start - T0, s.end - T0]), [[0, 4000], [4000, 8000], [8000, 12000], [12000, 14000]]);
    const r = await exportClip({ root, segments, from: T0 + 3000, to: T0 + 9500, outFile: join(root, 'clip.mp4'), logger: silentLogger() });
    assert.equal(r.startedAt, T0 + 2000);
    assert.equal(r.endedAt, T0 + 9500);
    const p = probe(r.outFile);
    assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const video = videoOf(p).duration;
    assert.ok(video >= 7.5 - 0.001 && video < 7.5 + 0.04, `video lasts ${video} s`);
    assert.ok(firstFrameIsKey(r.outFile), 'first frame is a key frame');
    assert.equal(decodeErrors(r.outFile), '');
  });
});
