import { spawn } from 'node:child_process';
import { ExportError } from './errors';
import { ProgressReader } from './progress-reader';

export interface RunFfmpegOptions {
  ffmpegPath: string;
  args: readonly string[];
  /** Called with the output time reached, µs, whenever it moves. */
  onOutTime?(us: number): void;
  signal?: AbortSignal;
}

const STDERR_KEEP = 4096;

/**
 * Runs ffmpeg to completion. `-progress pipe:1` output on stdout feeds onOutTime; the tail of
 * stderr goes into the error when ffmpeg fails. Aborting kills it (SIGKILL: a graceful stop
 * would first finish the file we are about to delete) and rejects once it has exited.
 */
export function runFfmpeg(options: RunFfmpegOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(new ExportError('aborted', 'export cancelled'));
      return;
    }
    const child = spawn(options.ffmpegPath, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const progress = new ProgressReader();
    let stderr = '';
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (progress.push(chunk)) options.onOutTime?.(progress.outTimeUs);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    child.on('close', (code, exitSignal) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(new ExportError('aborted', 'export cancelled'));
      else if (spawnError) {
        const missing = spawnError.code === 'ENOENT';
        reject(new ExportError(missing ? 'ffmpeg-missing' : 'ffmpeg-failed', `${missing ? 'ffmpeg not found' : 'ffmpeg could not start'} (${options.ffmpegPath}): ${spawnError.message}`));
      } else if (code !== 0) {
        const why = stderr.trim().split('\n').slice(-5).join(' | ') || 'no error output';
        reject(new ExportError('ffmpeg-failed', `ffmpeg exited with ${code ?? exitSignal}: ${why}`));
      } else resolve();
    });
  });
}
