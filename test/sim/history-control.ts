/**
 * MANSRTSP playback control (GB/T 28181 Annex B) as a camera/NVR applies it to one of its history
 * streams: INFO bodies parsed with src/sip/mansrtsp, PAUSE / PLAY (Range npt|smpte seconds into the
 * range, clock Unix seconds, `now` = resume; Scale 0.25..8) / TEARDOWN, answered with a MANSRTSP body.
 */
import { buildMansrtspAnswer, isMansrtspContentType, parseMansrtsp, MANSRTSP_CONTENT_TYPE } from '../../src/sip/mansrtsp';
import { MAX_SCALE, MIN_SCALE, type SimMediaStream } from './media-stream';

export interface InfoAnswer {
  status: number;
  reason: string;
  body?: { type: string; bytes: Buffer };
}

/**
 * What the stream does with one INFO: non-MANSRTSP content types get 415; an unparsable body, an answer
 * instead of a request, or a Scale outside 0.25..8 get 400 and change nothing; otherwise 200 with
 * `RTSP/1.0 200 OK` and the command's CSeq.
 */
export function applyMansrtspInfo(stream: SimMediaStream, contentType: string | undefined, body: Buffer): InfoAnswer {
  if (!isMansrtspContentType(contentType)) return { status: 415, reason: 'Unsupported Media Type' };
  const parsed = parseMansrtsp(body);
  if (!parsed.ok || parsed.value.kind !== 'request') {
    stream.stats.infoCommands.push('INVALID');
    return { status: 400, reason: 'Bad Request' };
  }
  const cmd = parsed.value;
  stream.stats.infoCommands.push(cmd.method);
  if (cmd.scale !== null && (cmd.scale < MIN_SCALE || cmd.scale > MAX_SCALE)) return { status: 400, reason: 'Bad Request' };
  if (cmd.method === 'PAUSE') {
    if (cmd.scale !== null) stream.setScale(cmd.scale);
    stream.pause();
  } else if (cmd.method === 'TEARDOWN') {
    stream.silence();
  } else {
    stream.play(positionOf(cmd.range, stream.stats.rangeStart), cmd.scale ?? undefined);
  }
  const answer = buildMansrtspAnswer({ status: 200, cseq: cmd.cseq });
  return { status: 200, reason: 'OK', body: { type: MANSRTSP_CONTENT_TYPE, bytes: Buffer.from(answer, 'latin1') } };
}

/** Seconds into the range a PLAY's Range asks for (undefined: resume where it is). */
function positionOf(range: { unit: 'npt' | 'smpte' | 'clock'; start: number | 'now' | null } | null, rangeStart: number): number | undefined {
  if (range === null || typeof range.start !== 'number') return undefined;
  return range.unit === 'clock' ? Math.max(0, range.start - rangeStart) : range.start;
}
