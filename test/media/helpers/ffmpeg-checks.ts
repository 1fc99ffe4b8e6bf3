import { execFileSync, spawnSync } from 'node:child_process';

/** Whether the first decoded video frame is a key frame (an I picture). */
export function firstFrameIsKey(path: string): boolean {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_frames', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame,pict_type', '-of', 'json', path], { timeout: 30_000 });
  const frame = (JSON.parse(out.toString('utf8')) as { frames: { key_frame: number; pict_type: string }[] }).frames[0];
  return frame?.key_frame === 1 && frame.pict_type === 'I';
}

/** ffmpeg decodes the whole file; returns its error output ('' when it played cleanly). */
export function decodeErrors(path: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { timeout: 30_000 });
  return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stderr.toString('utf8')}`;
}
