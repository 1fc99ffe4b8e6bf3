import { spawn } from 'node:child_process';

export interface FfmpegOutputOptions {
  ffmpegPath: string;
  args: readonly string[];
  /** Killed (SIGKILL) after this long. */
  timeoutMs: number;
  /** Killed when stdout grows past this. */
  maxBytes: number;
}

/** Why a run gave no usable output; callers turn it into their own API error. */
export type FfmpegOutputFailure =
  | { reason: 'missing' | 'spawn-failed'; message: string }
  | { reason: 'timeout' | 'too-large' }
  | { reason: 'exit'; code: number | null; stderrTail: string };

export type FfmpegOutputResult = { ok: true; output: Buffer } | ({ ok: false } & FfmpegOutputFailure);

const STDERR_KEEP = 2048;

/**
 * Runs FFmpeg writing its result to stdout (`pipe:1`) and collects it: a snapshot frame, a
 * converted audio clip. Bounded in time and size, never rejects; the tail of stderr comes back
 * when FFmpeg fails, for the error message.
 */
export function ffmpegOutput(options: FfmpegOutputOptions): Promise<FfmpegOutputResult> {
  return new Promise((resolve) => {
    const child = spawn(options.ffmpegPath, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: FfmpegOutputFailure | null = null;
    const timer = setTimeout(() => {
      failure ??= { reason: 'timeout' };
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) {
        failure ??= { reason: 'too-large' };
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code === 'ENOENT' ? { reason: 'missing', message: err.message } : { reason: 'spawn-failed', message: err.message };
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure !== null) resolve({ ok: false, ...failure });
      else if (code !== 0) resolve({ ok: false, reason: 'exit', code, stderrTail: stderr.trim() });
      else resolve({ ok: true, output: Buffer.concat(chunks) });
    });
  });
}

/** The last lines of FFmpeg's error output, joined for a one-line message. */
export function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join(' | ');
}
