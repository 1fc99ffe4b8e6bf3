import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors';

export interface ConvertAudioOptions {
  ffmpegPath: string;
  /** Folder for the upload while FFmpeg reads it (some containers need a seekable file). */
  tmpDir: string;
  /** Longer audio is cut here. */
  maxSeconds: number;
  timeoutMs: number;
}

const STDERR_KEEP = 2048;

/**
 * Any audio file FFmpeg reads (WAV, MP3, AAC, ...) as G.711 A-law, 8 kHz mono: the bytes a
 * broadcast sends, one per sample. Input that is not audio → bad_request; FFmpeg missing → unavailable.
 */
export async function convertToAlaw(input: Buffer, options: ConvertAudioOptions): Promise<Buffer> {
  if (input.length === 0) throw new AppError('bad_request', 'the audio file is empty');
  const file = join(options.tmpDir, `upload-${randomBytes(8).toString('hex')}`);
  await writeFile(file, input);
  try {
    return await runConvert(file, options);
  } finally {
    await rm(file, { force: true });
  }
}

function runConvert(file: string, options: ConvertAudioOptions): Promise<Buffer> {
  const args = ['-v', 'error', '-nostdin', '-i', file, '-map', '0:a:0', '-t', String(options.maxSeconds), '-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    let failure: AppError | null = null;
    const timer = setTimeout(() => {
      failure = new AppError('bad_request', `converting the audio took longer than ${options.timeoutMs} ms`);
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code === 'ENOENT' ? new AppError('unavailable', `ffmpeg not found (${options.ffmpegPath})`) : new AppError('internal', `ffmpeg could not start: ${err.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure !== null) return reject(failure);
      const audio = Buffer.concat(chunks);
      if (code !== 0 || audio.length === 0) {
        const why = stderr.trim().split('\n').slice(-2).join(' | ') || 'no audio in the file';
        return reject(new AppError('bad_request', `the file is not audio FFmpeg can read: ${why}`));
      }
      resolve(audio);
    });
  });
}
