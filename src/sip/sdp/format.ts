import type { MediaFormat } from './types';

/**
 * Parses an f= value (`v/2/6/25/1/4096a/1/8/1`). Total: whatever is missing, empty or not a number is null.
 * The audio part starts at the first `a/`: the video bitrate and the `a` are not separated.
 */
export function parseMediaFormat(raw: string): MediaFormat {
  const text = raw.trim();
  const audioAt = text.search(/a\//i);
  const videoText = audioAt >= 0 ? text.slice(0, audioAt) : text;
  const audioText = audioAt >= 0 ? text.slice(audioAt + 2) : '';
  const video = /^v\//i.test(videoText) ? videoText.slice(2).split('/') : [];
  const audio = audioAt >= 0 ? audioText.split('/') : [];
  return {
    raw: text,
    videoCodec: numberField(video[0]),
    resolution: stringField(video[1]),
    frameRate: numberField(video[2]),
    bitrateType: numberField(video[3]),
    videoBitrate: numberField(video[4]),
    audioCodec: numberField(audio[0]),
    audioBitrate: numberField(audio[1]),
    sampleRate: numberField(audio[2]),
  };
}

/** Builds an f= value keeping the standard's full structure (`v/////a///` when nothing is known). */
export function formatMediaFormat(f: Partial<Omit<MediaFormat, 'raw'>>): string {
  const v = [f.videoCodec, f.resolution, f.frameRate, f.bitrateType, f.videoBitrate].map(fieldText);
  const a = [f.audioCodec, f.audioBitrate, f.sampleRate].map(fieldText);
  return `v/${v.join('/')}a/${a.join('/')}`;
}

function fieldText(x: number | string | null | undefined): string {
  if (x === null || x === undefined) return '';
  const s = String(x);
  if (/[/\r\n]/.test(s)) throw new RangeError(`f= field may not contain '/' or line breaks: ${JSON.stringify(s)}`);
  return s;
}

function stringField(s: string | undefined): string | null {
  const t = s?.trim() ?? '';
  return t === '' ? null : t;
}

function numberField(s: string | undefined): number | null {
  const t = s?.trim() ?? '';
  return /^\d{1,10}$/.test(t) ? Number(t) : null;
}
