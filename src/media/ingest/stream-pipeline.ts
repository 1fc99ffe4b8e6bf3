import type { AccessUnit, MediaParams } from '../codec/types';
import { PsDemuxer, type PsDemuxStats } from '../ps/demuxer';
import type { RtpPacket } from '../rtp/packet';
import { MediaSource, type MediaSourceOptions } from '../source/media-source';
import type { MediaSourceStats } from '../source/types';
import { createRtpIngest } from './create-ingest';
import type { RtpIngest } from './rtp-ingest';
import type { RtpIngestOptions, RtpIngestStats } from './types';

/**
 * What happens to video after packets were lost. The demuxer always drops the frame the loss hit.
 * - `continue`: the following frames go on (decoders show artefacts until the next key frame,
 *   the picture keeps moving); what ZLMediaKit and most GB28181 platforms do.
 * - `wait-keyframe`: video frames are held back until the next key frame (a clean picture that
 *   freezes for up to a GOP); audio goes on.
 */
export type LossPolicy = 'continue' | 'wait-keyframe';

export interface StreamPipelineOptions extends Omit<RtpIngestOptions, 'onPayload' | 'onPayloadRun' | 'onDiscontinuity'> {
  /** For the MediaSource this pipeline creates; its logger defaults to `logger`. */
  source?: MediaSourceOptions;
  /** Default 'continue'. */
  afterLoss?: LossPolicy;
}

export interface StreamPipelineStats {
  streamId: string;
  ingest: RtpIngestStats;
  demux: PsDemuxStats;
  source: MediaSourceStats;
  /** Video frames held back under 'wait-keyframe' after a loss. */
  framesSkippedAfterLoss: number;
}

/**
 * One live stream's receive side: RtpIngest (socket, SSRC check, reorder) → PsDemuxer →
 * MediaSource. The pipeline creates the MediaSource (exposed as `source`, for sinks to attach to)
 * and owns it: `close(reason)` ends it. Payloads go to the demuxer by reference; they stay valid
 * because every UDP datagram and TCP read is a Buffer of its own.
 */
export class StreamPipeline {
  readonly streamId: string;
  readonly source: MediaSource;
  readonly ingest: RtpIngest;
  private readonly demuxer: PsDemuxer;
  private readonly waitKeyframeAfterLoss: boolean;
  private waitingKeyframe = false;
  private framesSkippedAfterLoss = 0;
  private closing: Promise<void> | undefined;

  constructor(options: StreamPipelineOptions) {
    this.streamId = options.streamId;
    this.waitKeyframeAfterLoss = options.afterLoss === 'wait-keyframe';
    const logger = options.logger.child({ streamId: options.streamId });
    this.source = new MediaSource(options.streamId, { logger, ...options.source });
    this.demuxer = new PsDemuxer({ onFrame: this.onFrame, onParams: this.onParams, logger });
    this.ingest = createRtpIngest({ ...options, onPayload: this.onPayload, onPayloadRun: this.onPayloadRun, onDiscontinuity: this.onDiscontinuity });
  }

  /** Binds the port (udp, tcp-passive); tcp-active: then call connect(). */
  start(): Promise<void> {
    return this.ingest.start();
  }

  /** tcp-active: connects to the camera (retrying over `connectTimeoutMs`). */
  connect(host: string, port: number): Promise<void> {
    return this.ingest.connect(host, port);
  }

  /** The SSRC from the 200 OK answer. */
  setExpectedSsrc(ssrc: number): void {
    this.ingest.setExpectedSsrc(ssrc);
  }

  /** The bound local port (for the SDP offer when the port was 0). */
  get localPort(): number {
    return this.ingest.localPort;
  }

  get stats(): StreamPipelineStats {
    return {
      streamId: this.streamId,
      ingest: this.ingest.stats,
      demux: { ...this.demuxer.stats },
      source: this.source.stats,
      framesSkippedAfterLoss: this.framesSkippedAfterLoss,
    };
  }

  /** Stops receiving and ends the source (sinks get 'stream-ended'). Idempotent. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    const closingIngest = this.ingest.close();
    this.source.end(reason);
    this.closing = closingIngest;
    return closingIngest;
  }

  private readonly onPayload = (packet: RtpPacket): void => {
    this.demuxer.push(packet.payload, packet.timestamp, packet.marker);
  };

  /** The demuxer reads bytes cut anywhere, so a run's payloads in one piece equal its packets one by one. */
  private readonly onPayloadRun = (payload: Buffer, timestamp: number, marker: boolean): void => {
    this.demuxer.push(payload, timestamp, marker);
  };

  private readonly onDiscontinuity = (): void => {
    this.demuxer.discontinuity();
    if (this.waitKeyframeAfterLoss) this.waitingKeyframe = true;
  };

  private readonly onFrame = (au: AccessUnit): void => {
    if (this.waitingKeyframe && au.kind === 'video') {
      if (!au.keyframe) {
        this.framesSkippedAfterLoss++;
        return;
      }
      this.waitingKeyframe = false;
    }
    this.source.push(au);
  };

  private readonly onParams = (params: MediaParams): void => {
    this.source.setParams(params);
  };
}
