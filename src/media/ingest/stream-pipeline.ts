import type { AccessUnit, MediaParams } from '../codec/types';
import { PsDemuxer, type PsDemuxStats } from '../ps/demuxer';
import type { RtpPacket } from '../rtp/packet';
import { MediaSource, type MediaSourceOptions } from '../source/media-source';
import type { MediaSourceStats } from '../source/types';
import { parseH264Sps } from '../codec/h264-sps';
import { createRtpIngest } from './create-ingest';
import type { NativeFlvRelay } from './native-flv-relay';
import type { NativeRelayStats } from './native-rtp-recv';
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
  /** The native FLV relay's counters, when the stream has one (ADR 0024). */
  relay?: NativeRelayStats;
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
    this.source.on('sinks', () => this.updateFeed());
    this.source.on('ready', () => this.updateFeed());
  }

  /**
   * The native FLV relay of a stream read by native/rtp-recv (options.nativeFlvRelay), once the
   * ingest has one (after start(); for TCP active, after connect()). Undefined otherwise.
   */
  get relay(): NativeFlvRelay | undefined {
    return this.watchedRelay;
  }

  /** After start() and connect(): a relay the ingest started is watched from now on. */
  private findRelay(): void {
    const relay = this.ingest.relay;
    if (relay !== undefined && relay !== this.watchedRelay) this.watchRelay(relay);
  }

  /** Binds the port (udp, tcp-passive); tcp-active: then call connect(). */
  start(): Promise<void> {
    return this.ingest.start().then(() => {
      this.findRelay();
    });
  }

  /** tcp-active: connects to the camera (retrying over `connectTimeoutMs`). */
  connect(host: string, port: number): Promise<void> {
    return this.ingest.connect(host, port).then(() => {
      this.findRelay();
    });
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
    const stats: StreamPipelineStats = {
      streamId: this.streamId,
      ingest: this.ingest.stats,
      demux: { ...this.demuxer.stats },
      source: this.source.stats,
      framesSkippedAfterLoss: this.framesSkippedAfterLoss,
    };
    const relay = this.relay?.stats();
    if (relay !== undefined) {
      stats.relay = relay;
      if (!this.relay?.isFed) this.relayRates.sample(relay, stats.source);
    }
    return stats;
  }


  /** Stops receiving and ends the source (sinks get 'stream-ended'). Idempotent. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    const closingIngest = this.ingest.close();
    this.source.end(reason);
    this.closing = closingIngest;
    return closingIngest;
  }

  private watchedRelay: NativeFlvRelay | undefined;
  private readonly relayRates = new RelayRates();

  private watchRelay(relay: NativeFlvRelay): void {
    this.watchedRelay = relay;
    this.source.externalFlv = relay;
    relay.on('state', (state, _reason, fedAgain) => {
      // A bail while JavaScript was fed all along leaves its demuxer as it is.
      if (fedAgain) this.resumeFeed();
      else this.updateFeed();
    });
    relay.on('params', (sps, pps) => {
      // While JavaScript is fed its own demuxer announces them; alone, the relay's keep the tracks right.
      if (relay.isFed) return;
      const parsed = parseH264Sps(sps);
      this.source.setParams({ kind: 'video', codec: 'h264', width: parsed?.width ?? 0, height: parsed?.height ?? 0, profile: parsed?.profileIdc ?? 0, level: parsed?.levelIdc ?? 0, ...(parsed?.fps !== undefined ? { fps: parsed.fps } : {}), sps, pps });
    });
    this.updateFeed();
  }

  /**
   * JavaScript is fed while the relay does not serve or a JavaScript sink (HLS, RTSP, WS-FLV,
   * recorder, cascade, an HTTP-FLV viewer the relay did not take) is attached: "demux only what a
   * consumer needs". It is also fed until its own first key frame has made the source ready (the
   * stream's state and the live API's answer hang on that).
   */
  private updateFeed(): void {
    const relay = this.watchedRelay;
    if (relay === undefined) return;
    const want = relay.state !== 'native' || this.source.sinkCount > 0 || !this.source.ready;
    if (want === relay.isFed) return;
    if (!want) {
      relay.feed(false);
      if (!relay.isFed) this.source.dropCache();
      return;
    }
    relay.feed(true);
    this.resumeFeed();
  }

  /** Packets reach JavaScript again after a gap: nothing of it counts as lost, and the demuxer starts afresh. */
  private resumeFeed(): void {
    this.ingest.resumeAfterGap();
    this.demuxer.discontinuity();
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
    // The rest of a batch read before JavaScript stopped being fed: the cache must not keep it.
    if (this.watchedRelay !== undefined && !this.watchedRelay.isFed) return;
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

/** Frame rate and bitrate from the relay's counters while JavaScript does not see the frames. */
class RelayRates {
  private at = 0;
  private frames = 0;
  private bytes = 0;
  /** Undefined until a second has been measured: the source's own rates (recent, decaying) stand until then. */
  private fps: number | undefined;
  private kbps = 0;

  /** Updates `source` (fps, bitrate, frame counts) from the relay's counters, over at least a second. */
  sample(relay: NativeRelayStats, source: MediaSourceStats): void {
    const now = Date.now();
    const frames = relay.videoFrames;
    if (this.at === 0 || frames < this.frames) {
      this.at = now;
      this.frames = frames;
      this.bytes = relay.bytes;
    } else if (now - this.at >= 1000) {
      const seconds = (now - this.at) / 1000;
      this.fps = (frames - this.frames) / seconds;
      this.kbps = ((relay.bytes - this.bytes) * 8) / 1000 / seconds;
      this.at = now;
      this.frames = frames;
      this.bytes = relay.bytes;
    }
    if (this.fps !== undefined) {
      source.fps = this.fps;
      source.bitrateKbps = this.kbps;
    }
    source.videoFrames = Math.max(source.videoFrames, relay.videoFrames);
    source.audioFrames = Math.max(source.audioFrames, relay.audioFrames);
    source.keyframes = Math.max(source.keyframes, relay.keyframes);
    if (relay.msSinceFrame >= 0) source.lastFrameAt = Math.max(source.lastFrameAt, now - relay.msSinceFrame);
  }
}
