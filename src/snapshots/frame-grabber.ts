import { spawn } from 'node:child_process';
import { AppError } from '../errors';
import { isJpeg } from './jpeg';

export interface GrabFrameOptions {
  ffmpegPath: string;
  /** A stream of our own media node (HTTP-FLV). */
  url: string;
  timeoutMs: number;
  /** Largest picture accepted from FFmpeg. */
  maxBytes: number;
}

const STDERR_KEEP = 2048;

/**
 * One decoded frame of a stream as a JPEG, by FFmpeg (`-frames:v 1`, MJPEG to a pipe). The
 * HTTP-FLV output starts with the GOP cache's key frame, so the first frame decodes at once.
 * Errors are AppErrors: FFmpeg missing → unavailable, no picture in time → device_timeout.
 */
export function grabFrame(options: GrabFrameOptions): Promise<Buffer> {
  // Our FLV starts with metadata and the sequence headers: no probing needed (the default 5 s
  // analysis waits for an audio stream that a camera may never send).
  const args = ['-v', 'error', '-nostdin', '-analyzeduration', '0', '-probesize', '32768', '-i', options.url, '-map', '0:v:0', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2pipe', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: AppError | null = null;
    const timer = setTimeout(() => {
      failure = new AppError('device_timeout', `no picture from the stream within ${options.timeoutMs} ms`);
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) {
        failure = new AppError('internal', `FFmpeg wrote a picture larger than ${options.maxBytes} bytes`);
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code === 'ENOENT' ? new AppError('unavailable', `ffmpeg not found (${options.ffmpegPath})`) : new AppError('internal', `ffmpeg could not start: ${err.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure !== null) return reject(failure);
      const jpeg = Buffer.concat(chunks);
      if (code !== 0 || !isJpeg(jpeg)) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${String(code)}`;
        return reject(new AppError('device_error', `no picture could be taken from the stream: ${why}`));
      }
      resolve(jpeg);
    });
  });
}
