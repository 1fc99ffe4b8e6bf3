import type { MansrtspMethod } from './types';
import { formatNptRange, formatSeconds } from './range';

export interface MansrtspCommand {
  method: MansrtspMethod;
  cseq: number;
  /** PLAY: playback speed (negative reverses); leave out to keep the current speed. */
  scale?: number;
  /** PLAY: seconds from the start of the recording, or 'now' to resume where paused. */
  rangeStartSec?: number | 'now';
  /** PLAY: where reverse or bounded play stops (only with rangeStartSec). */
  rangeEndSec?: number;
  /** PAUSE: defaults to 'now', the only value the standard defines. */
  pauseTime?: 'now' | number;
}

export interface MansrtspAnswer {
  status: number;
  reason?: string;
  cseq: number;
  rtpInfo?: string;
  rangeStartSec?: number;
  scale?: number;
}

const MAX_CSEQ = 0xffffffff;
/** A century of recording: far past any real position, and still printed without an exponent. */
const MAX_SECONDS = 3_155_760_000;

/**
 * The MANSRTSP text of a playback command (CRLF lines, ending with the blank line). Total: a
 * value that cannot be sent (NaN, a negative position, Scale 0) is left out and a CSeq is
 * brought into 0..2^32-1, so the result always parses back.
 */
export function buildMansrtsp(cmd: MansrtspCommand): string {
  const lines = [`${cmd.method} RTSP/1.0`, `CSeq: ${safeCseq(cmd.cseq)}`];
  if (cmd.method === 'PLAY') {
    const scale = safeScale(cmd.scale);
    if (scale !== null) lines.push(`Scale: ${formatScale(scale)}`);
    const start = cmd.rangeStartSec === 'now' ? 'now' : safeSeconds(cmd.rangeStartSec);
    if (start !== null) lines.push(`Range: ${formatNptRange(start, safeSeconds(cmd.rangeEndSec))}`);
  } else if (cmd.method === 'PAUSE') {
    const pause = typeof cmd.pauseTime === 'number' ? safeSeconds(cmd.pauseTime) : null;
    lines.push(`PauseTime: ${pause === null ? 'now' : formatSeconds(pause)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** An answer body, as a device sends it (for simulators and tests). */
export function buildMansrtspAnswer(answer: MansrtspAnswer): string {
  const status = Number.isInteger(answer.status) && answer.status >= 100 && answer.status <= 999 ? answer.status : 500;
  const reason = (answer.reason ?? (status === 200 ? 'OK' : 'Error')).replace(/[\r\n]+/g, ' ');
  const lines = [`RTSP/1.0 ${status} ${reason}`.trimEnd(), `CSeq: ${safeCseq(answer.cseq)}`];
  const start = safeSeconds(answer.rangeStartSec);
  if (start !== null) lines.push(`Range: ${formatNptRange(start, null)}`);
  const scale = safeScale(answer.scale);
  if (scale !== null) lines.push(`Scale: ${formatScale(scale)}`);
  if (answer.rtpInfo) lines.push(`RTP-Info: ${answer.rtpInfo.replace(/[\r\n]+/g, ' ')}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function safeCseq(cseq: number): number {
  if (!Number.isFinite(cseq)) return 0;
  return Math.min(MAX_CSEQ, Math.max(0, Math.trunc(cseq)));
}

function safeSeconds(seconds: number | undefined): number | null {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  return Math.min(seconds, MAX_SECONDS);
}

function safeScale(scale: number | undefined): number | null {
  if (scale === undefined || !Number.isFinite(scale)) return null;
  const bounded = Math.max(-1000, Math.min(1000, scale));
  return Math.abs(bounded) < 0.000001 ? null : bounded;
}

/** `2.0`, `0.25`, `-1.0`: always with a decimal point, as the standard's examples write it. */
function formatScale(scale: number): string {
  const fixed = scale.toFixed(6).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}
