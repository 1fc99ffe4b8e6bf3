import type { LevelWithSilent } from 'pino';
import type { SsrcPolicy } from '../ingest/types';

/** Everything a media node needs to start; plain data, so it can be handed to a worker thread. */
export interface MediaNodeOptions {
  host: string;
  httpPort: number;
  rtspPort: number;
  udpReceiveBufferBytes: number;
  /** Read RTP over UDP with native/rtp-recv when it is built (ADR 0022), in batches this many ms apart. */
  nativeRtp: boolean;
  nativeBatchMs: number;
  /** HTTP-FLV viewers of plain H.264 streams served by the native reader (ADR 0024). */
  nativeFlvRelay?: boolean;
  ssrcPolicy: SsrcPolicy;
  rtpTimeoutMs: number;
  /** Secret of the playback URL tokens; null turns the check off. */
  urlSecret: string | null;
  /** A playback session without viewers for this long closes itself. */
  playbackIdleMs: number;
  /** pino level for the node's own logger. */
  logLevel: LevelWithSilent;
}
