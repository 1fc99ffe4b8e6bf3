import type { Logger } from '../../logger';
import type { AccessUnit, AudioParams, MediaParams, VideoCodec, VideoParams } from '../codec/types';
import { AudioAccessUnitAssembler } from './audio-assembler';
import { PsStreamParser, type PsParserSink } from './ps-parser';
import type { ProgramStreamMap } from './psm';
import { audioCodecOf, isAudioStreamId, isVideoStreamId, videoCodecOf } from './stream-types';
import { VideoAccessUnitAssembler } from './video-assembler';

const MARKERS_TO_TRUST = 50;

export interface PsDemuxerOptions {
  onFrame(au: AccessUnit): void;
  /** Codec parameters, whenever they first appear or change (new SPS, other codec, ...). */
  onParams?(params: MediaParams): void;
  logger?: Logger;
}

export interface PsDemuxStats {
  bytesIn: number;
  packs: number;
  systemHeaders: number;
  psms: number;
  pes: number;
  /** PES and other packets of streams nobody reads (private streams, a second video stream, ...). */
  pesSkipped: number;
  bytesDropped: number;
  resyncs: number;
  /** PES packets whose length ran into the next packet. */
  lengthErrors: number;
  frames: number;
  videoFrames: number;
  audioFrames: number;
  /** Access units thrown away whole (incomplete after loss, unsupported codec, no NAL units). */
  framesDropped: number;
  /** The video codec changed mid-stream, or turned out to differ from what the PSM declares. */
  codecSwitches: number;
}

/**
 * GB/T 28181 MPEG-PS demuxer: takes the RTP payloads of one stream in sequence order and emits
 * access units (Annex B video, ADTS/G.711 audio) with 90 kHz timestamps.
 *
 * It never throws on input. Garbage, broken start codes, lying lengths and truncated packs cost
 * the frames they touch; parsing resumes at the next start code and `stats` counts the damage.
 * Buffers passed to `push` are referenced, not copied, until the frame they belong to is
 * emitted, so the caller must not reuse them.
 */
export class PsDemuxer {
  readonly stats: PsDemuxStats = {
    bytesIn: 0,
    packs: 0,
    systemHeaders: 0,
    psms: 0,
    pes: 0,
    pesSkipped: 0,
    bytesDropped: 0,
    resyncs: 0,
    lengthErrors: 0,
    frames: 0,
    videoFrames: 0,
    audioFrames: 0,
    framesDropped: 0,
    codecSwitches: 0,
  };
  private readonly parser: PsStreamParser;
  private readonly video: VideoAccessUnitAssembler;
  private readonly audio: AudioAccessUnitAssembler;
  private videoStreamId = -1;
  private audioStreamId = -1;
  /** Stream the current PES belongs to: 1 video, 2 audio, 0 ignored. */
  private target = 0;
  private psm: ProgramStreamMap | undefined;
  private rtpTimestamp = 0;
  private markerTrusted = true;
  private markedTimestamp = -1;
  /** Markers in a row that sat where a frame ends; enough of them restore trust. */
  private consistentMarkers = 0;
  /**
   * After a loss, until a pack header or a PES start is parsed: the parser is scanning the tail of
   * the damaged frame, so a marker there says nothing about whether the device marks frame ends.
   */
  private resyncing = false;

  constructor(private readonly options: PsDemuxerOptions) {
    const onDropped = (bytes: number, frame: boolean): void => {
      this.stats.bytesDropped += bytes;
      if (frame) this.stats.framesDropped++;
    };
    const onFrame = (au: AccessUnit): void => {
      this.stats.frames++;
      if (au.kind === 'video') this.stats.videoFrames++;
      else this.stats.audioFrames++;
      this.options.onFrame(au);
    };
    const onParams = (params: MediaParams): void => {
      this.options.logger?.info({ params: describeParams(params) }, 'media parameters');
      this.options.onParams?.(params);
    };
    this.video = new VideoAccessUnitAssembler({
      onFrame,
      onParams,
      onDropped,
      onCodecSwitch: (from: VideoCodec | undefined, to: VideoCodec) => {
        this.stats.codecSwitches++;
        this.options.logger?.warn({ from, to }, 'video codec differs from what was declared or sent before');
      },
    });
    this.audio = new AudioAccessUnitAssembler({ onFrame, onParams, onDropped });
    this.parser = new PsStreamParser(this.sink());
  }

  get videoParams(): VideoParams | undefined {
    return this.video.params;
  }

  get audioParams(): AudioParams | undefined {
    return this.audio.params;
  }

  /** False once the RTP marker has proved not to mark frame ends; frames then end at the next one. */
  get markerIsTrusted(): boolean {
    return this.markerTrusted;
  }

  /**
   * One RTP payload, in sequence order. A marker that sits where a frame ends completes the
   * frame at once; markers that prove wrong (set inside a packet, or followed by more packets of
   * the same timestamp) stop being trusted until 50 in a row are right again. Markers are not
   * judged between a `discontinuity()` and the next pack header or PES start.
   */
  push(payload: Buffer, rtpTimestamp: number, marker: boolean): void {
    this.stats.bytesIn += payload.length;
    if (this.markedTimestamp >= 0 && rtpTimestamp >>> 0 === this.markedTimestamp) this.markerWasWrong();
    this.markedTimestamp = -1;
    this.rtpTimestamp = rtpTimestamp >>> 0;
    this.parser.push(payload);
    if (!marker || this.resyncing) return;
    if (!this.parser.atPacketBoundary) {
      this.markerWasWrong();
      return;
    }
    this.markedTimestamp = this.rtpTimestamp;
    if (!this.markerTrusted && ++this.consistentMarkers >= MARKERS_TO_TRUST) {
      this.markerTrusted = true;
      this.options.logger?.debug('RTP marker bits mark frame ends again');
    }
    if (this.markerTrusted) {
      this.parser.endOfFrame();
      this.video.flush();
    }
  }

  /** RTP packets were lost before the next push: the frame in progress is dropped. */
  discontinuity(): void {
    this.resyncing = true;
    this.video.discard();
    this.audio.discard();
    this.target = 0;
    this.parser.reset();
  }

  /** End of stream: emit what is complete. */
  flush(): void {
    this.parser.endOfFrame();
    this.video.flush();
  }

  private markerWasWrong(): void {
    this.consistentMarkers = 0;
    if (!this.markerTrusted) return;
    this.markerTrusted = false;
    this.options.logger?.debug('ignoring RTP marker bits for frame boundaries');
  }

  private sink(): PsParserSink {
    return {
      onPack: () => {
        this.stats.packs++;
        this.resyncing = false;
      },
      onSystemHeader: () => {
        this.stats.systemHeaders++;
      },
      onProgramStreamMap: (map) => {
        this.stats.psms++;
        this.applyPsm(map);
      },
      onPesStart: (streamId, pts, dts) => {
        this.stats.pes++;
        this.resyncing = false;
        this.target = this.classify(streamId);
        if (this.target === 1) this.video.pesStart(pts, dts, this.rtpTimestamp);
        else if (this.target === 2) this.audio.pesStart(pts, dts, this.rtpTimestamp);
        else this.stats.pesSkipped++;
      },
      onPesData: (streamId, data) => {
        if (this.target === 1 && streamId === this.videoStreamId) this.video.pesData(data);
        else if (this.target === 2 && streamId === this.audioStreamId) this.audio.pesData(data);
      },
      onPesEnd: (streamId) => {
        if (streamId === this.videoStreamId) this.video.pesEnd();
        else if (streamId === this.audioStreamId) this.audio.pesEnd();
        this.target = 0;
      },
      onSkippedPacket: () => {
        this.stats.pesSkipped++;
      },
      onDropped: (bytes, resync) => {
        this.stats.bytesDropped += bytes;
        if (resync) this.stats.resyncs++;
      },
      onLengthMismatch: () => {
        this.stats.lengthErrors++;
      },
    };
  }

  /** The first video and first audio stream seen are the ones demuxed; others are skipped. */
  private classify(streamId: number): number {
    if (isVideoStreamId(streamId)) {
      if (this.videoStreamId < 0) {
        this.videoStreamId = streamId;
        this.declareFromPsm();
      }
      return streamId === this.videoStreamId ? 1 : 0;
    }
    if (isAudioStreamId(streamId)) {
      if (this.audioStreamId < 0) {
        this.audioStreamId = streamId;
        this.declareFromPsm();
      }
      return streamId === this.audioStreamId ? 2 : 0;
    }
    return 0;
  }

  private applyPsm(map: ProgramStreamMap): void {
    if (this.psm && this.psm.version !== map.version) {
      this.options.logger?.debug({ from: this.psm.version, to: map.version }, 'program stream map changed');
    }
    this.psm = map;
    this.declareFromPsm();
  }

  private declareFromPsm(): void {
    const map = this.psm;
    if (!map) return;
    const video = map.entries.find((e) => e.streamId === this.videoStreamId) ?? map.entries.find((e) => isVideoStreamId(e.streamId));
    const audio = map.entries.find((e) => e.streamId === this.audioStreamId) ?? map.entries.find((e) => isAudioStreamId(e.streamId));
    if (video) this.video.setDeclared(videoCodecOf(video.streamType));
    if (audio) this.audio.declared = audioCodecOf(audio.streamType);
  }
}

function describeParams(p: MediaParams): Record<string, unknown> {
  return p.kind === 'video'
    ? { kind: p.kind, codec: p.codec, width: p.width, height: p.height, profile: p.profile, level: p.level }
    : { kind: p.kind, codec: p.codec, sampleRate: p.sampleRate, channels: p.channels };
}
