import { rename, rm } from 'node:fs/promises';
import type { Logger } from '../../logger';
import { ExportError } from './errors';
import { hashFile } from './hash-file';
import { mp4DurationMs } from './mp4-duration';
import { runFfmpeg } from './run-ffmpeg';
import type { ExportResult } from './types';

export interface CaptureStreamOptions {
  ffmpegPath?: string;
  /** An HTTP-FLV URL of our own media node: the stream to keep (a device download). */
  url: string;
  /** What the footage covers, ms UTC (the device's recording range). */
  from: number;
  to: number;
  outFile: string;
  onProgress?(fraction: number): void;
  signal?: AbortSignal;
  logger: Logger;
}

/**
 * Keeps a stream the media node serves as one MP4 (FFmpeg remux, no re-encode) until the stream
 * ends: a device's Download session, saved as an export with its hash. Media time comes from the
 * stream, so a download sent at 4x still gives a clip of the recording's own length.
 */
export async function captureStream(options: CaptureStreamOptions): Promise<ExportResult> {
  const part = `${options.outFile}.part`;
  const expectedUs = Math.max(1, options.to - options.from) * 1000;
  const args = ['-v', 'error', '-nostdin', '-y', '-progress', 'pipe:1', '-i', options.url, '-map', '0:v:0', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', part];
  try {
    await runFfmpeg({
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      args,
      onOutTime: (us) => options.onProgress?.(Math.min(0.99, us / expectedUs)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const digest = await hashFile(part);
    if (digest.bytes === 0) throw new ExportError('no-footage', 'the download delivered no video');
    await rename(part, options.outFile);
    options.onProgress?.(1);
    const durationMs = mp4DurationMs(digest.head) ?? 0;
    options.logger.info({ outFile: options.outFile, bytes: digest.bytes, durationMs }, 'download saved');
    return { outFile: options.outFile, bytes: digest.bytes, sha256: digest.sha256, durationMs, startedAt: options.from, endedAt: options.from + durationMs, skipped: [] };
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}
