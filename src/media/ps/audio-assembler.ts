import { aacConfigFromAdts, looksLikeAdts, parseAdtsHeader } from '../codec/adts';
import type { AccessUnit, AudioCodec, AudioParams } from '../codec/types';
import { SlabAllocator } from './slab-allocator';
import { PTS_WRAP, TimestampUnwrapper } from './timestamp';

export interface AudioAssemblerEvents {
  onFrame(au: AccessUnit): void;
  onParams(params: AudioParams): void;
  onDropped(bytes: number, frame: boolean): void;
}

/**
 * Turns audio PES packets into access units: one per ADTS frame for AAC, one per PES for G.711.
 * The payload decides over the PSM: Dahua cameras declare G.711 and send AAC ADTS.
 */
export class AudioAccessUnitAssembler {
  declared: AudioCodec | 'unsupported' | undefined;
  params: AudioParams | undefined;
  private pieces: Buffer[] = [];
  private bytes = 0;
  private active = false;
  private pts = -1;
  private rtpTs = 0;
  private nextPts = -1;
  private readonly ptsClock = new TimestampUnwrapper(PTS_WRAP);
  private readonly memory = new SlabAllocator(64 * 1024);

  constructor(private readonly events: AudioAssemblerEvents) {}

  pesStart(pts: number, _dts: number, rtpTs: number): void {
    this.pieces = [];
    this.bytes = 0;
    this.active = true;
    this.pts = pts >= 0 ? this.ptsClock.unwrap(pts) : -1;
    this.rtpTs = rtpTs;
  }

  pesData(piece: Buffer): void {
    if (!this.active) {
      this.events.onDropped(piece.length, false);
      return;
    }
    this.pieces.push(piece);
    this.bytes += piece.length;
  }

  pesEnd(): void {
    if (!this.active) return;
    this.active = false;
    if (this.bytes === 0) return;
    // A copy, as for video: frames must not keep the receive buffer alive (VideoAccessUnitAssembler.finish).
    const data = this.memory.concat(this.pieces, this.bytes);
    this.pieces = [];
    this.bytes = 0;
    const pts = this.pts >= 0 ? this.pts : this.nextPts >= 0 ? this.nextPts : this.rtpTs;
    if (looksLikeAdts(data)) this.emitAdts(data, pts);
    else if (this.declared === 'g711a' || this.declared === 'g711u' || this.declared === undefined) this.emitG711(data, pts, this.declared ?? 'g711a');
    else this.events.onDropped(data.length, true); // raw AAC without ADTS, or a codec we do not handle
  }

  /** Packets were lost: drop the PES in progress. */
  discard(): void {
    if (this.active && this.bytes > 0) this.events.onDropped(this.bytes, true);
    this.pieces = [];
    this.bytes = 0;
    this.active = false;
  }

  private emitAdts(data: Buffer, pts: number): void {
    let offset = 0;
    let at = pts;
    while (offset < data.length) {
      const h = parseAdtsHeader(data, offset);
      if (!h || offset + h.frameLength > data.length) {
        this.events.onDropped(data.length - offset, false);
        break;
      }
      const p = this.params;
      if (!p || p.codec !== 'aac' || p.sampleRate !== h.sampleRate || p.channels !== h.channelConfig) {
        this.publish({ kind: 'audio', codec: 'aac', sampleRate: h.sampleRate, channels: h.channelConfig, aacConfig: aacConfigFromAdts(h) });
      }
      this.events.onFrame({ kind: 'audio', codec: 'aac', pts: at, dts: at, keyframe: true, data: data.subarray(offset, offset + h.frameLength) });
      at += Math.round((1024 * 90000) / h.sampleRate);
      offset += h.frameLength;
    }
    this.nextPts = at;
  }

  private emitG711(data: Buffer, pts: number, codec: 'g711a' | 'g711u'): void {
    if (this.params?.codec !== codec) this.publish({ kind: 'audio', codec, sampleRate: 8000, channels: 1 });
    this.events.onFrame({ kind: 'audio', codec, pts, dts: pts, keyframe: true, data });
    this.nextPts = pts + Math.round(data.length * (90000 / 8000));
  }

  private publish(params: AudioParams): void {
    this.params = params;
    this.events.onParams(params);
  }
}
