import { AppError } from '../errors';
import { ffmpegOutput, lastLines } from '../media/ffmpeg/ffmpeg-output';
import { isJpeg } from './jpeg';

export interface GrabFrameOptions {
  ffmpegPath: string;
  /** A stream of our own media node (HTTP-FLV). */
  url: string;
  timeoutMs: number;
  /** Largest picture accepted from FFmpeg. */
  maxBytes: number;
}

/**
 * One decoded frame of a stream as a JPEG, by FFmpeg (`-frames:v 1`, MJPEG to a pipe). The
 * HTTP-FLV output starts with the GOP cache's key frame, so the first frame decodes at once.
 * Errors are AppErrors: FFmpeg missing → unavailable, no picture in time → device_timeout.
 */
export async function grabFrame(options: GrabFrameOptions): Promise<Buffer> {
  // Our FLV starts with metadata and the sequence headers: no probing needed (the default 5 s
  // analysis waits for an audio stream that a camera may never send).
  const args = ['-v', 'error', '-nostdin', '-analyzeduration', '0', '-probesize', '32768', '-i', options.url, '-map', '0:v:0', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2pipe', 'pipe:1'];
  const result = await ffmpegOutput({ ffmpegPath: options.ffmpegPath, args, timeoutMs: options.timeoutMs, maxBytes: options.maxBytes });
  if (result.ok && isJpeg(result.output)) return result.output;
  if (result.ok) throw new AppError('device_error', 'no picture could be taken from the stream: FFmpeg wrote no JPEG');
  switch (result.reason) {
    case 'timeout':
      throw new AppError('device_timeout', `no picture from the stream within ${options.timeoutMs} ms`);
    case 'too-large':
      throw new AppError('internal', `FFmpeg wrote a picture larger than ${options.maxBytes} bytes`);
    case 'missing':
      throw new AppError('unavailable', `ffmpeg not found (${options.ffmpegPath})`);
    case 'spawn-failed':
      throw new AppError('internal', `ffmpeg could not start: ${result.message}`);
    case 'exit':
      throw new AppError('device_error', `no picture could be taken from the stream: ${lastLines(result.stderrTail, 3) || `exit code ${String(result.code)}`}`);
  }
}
