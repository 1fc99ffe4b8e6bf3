/** MANSRTSP (GB/T 28181 Annex B): the RTSP subset carried in SIP INFO bodies to control playback. */
export type MansrtspMethod = 'PLAY' | 'PAUSE' | 'TEARDOWN';

export const MANSRTSP_METHODS: readonly MansrtspMethod[] = ['PLAY', 'PAUSE', 'TEARDOWN'];

/**
 * A Range header. npt and smpte positions are seconds from the start of the recording; clock
 * positions are Unix seconds. `start: null` is an open start (`npt=-100`), `end: null` an open end
 * (`npt=100-`, the usual form). During reverse play the end is before the start.
 */
export interface MansrtspRange {
  unit: 'npt' | 'smpte' | 'clock';
  start: number | 'now' | null;
  end: number | null;
}

export interface MansrtspRequest {
  kind: 'request';
  method: MansrtspMethod;
  cseq: number;
  /** Playback speed; negative is reverse play. */
  scale: number | null;
  range: MansrtspRange | null;
  /** The standard says `now`; some platforms send `0` and mean the same (kept as sent). */
  pauseTime: 'now' | number | null;
}

export interface MansrtspResponse {
  kind: 'response';
  status: number;
  reason: string;
  cseq: number;
  /** Raw RTP-Info value (`seq=...;rtptime=...`); read it with parseRtpInfo. */
  rtpInfo: string | null;
  /** Scale the server settled on (e.g. -1 when it only reverses at normal speed), when it says. */
  scale: number | null;
  /** Position the new stream starts at, when the server says (unreadable values are null). */
  range: MansrtspRange | null;
}

export type MansrtspMessage = MansrtspRequest | MansrtspResponse;

export type MansrtspResult<T> = { ok: true; value: T } | { ok: false; error: string };
