import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors';
import { ffmpegOutput, lastLines } from '../ffmpeg/ffmpeg-output';

export interface ConvertAudioOptions {
  ffmpegPath: string;
  /** Folder for the upload while FFmpeg reads it (some containers need a seekable file). */
  tmpDir: string;
  /** Longer audio is cut here. */
  maxSeconds: number;
  timeoutMs: number;
}

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

async function runConvert(file: string, options: ConvertAudioOptions): Promise<Buffer> {
  const args = ['-v', 'error', '-nostdin', '-i', file, '-map', '0:a:0', '-t', String(options.maxSeconds), '-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw', 'pipe:1'];
  // 8,000 bytes a second of A-law, with room to spare.
  const result = await ffmpegOutput({ ffmpegPath: options.ffmpegPath, args, timeoutMs: options.timeoutMs, maxBytes: (options.maxSeconds + 5) * 8000 });
  if (result.ok && result.output.length > 0) return result.output;
  if (result.ok) throw new AppError('bad_request', 'the file is not audio FFmpeg can read: no audio in the file');
  switch (result.reason) {
    case 'timeout':
      throw new AppError('bad_request', `converting the audio took longer than ${options.timeoutMs} ms`);
    case 'missing':
      throw new AppError('unavailable', `ffmpeg not found (${options.ffmpegPath})`);
    case 'spawn-failed':
      throw new AppError('internal', `ffmpeg could not start: ${result.message}`);
    case 'too-large':
      throw new AppError('bad_request', 'the converted audio is longer than allowed');
    case 'exit':
      throw new AppError('bad_request', `the file is not audio FFmpeg can read: ${lastLines(result.stderrTail, 2) || 'no audio in the file'}`);
  }
}
