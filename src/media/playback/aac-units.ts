import { aacConfigFromAdts, parseAdtsHeader } from '../codec/adts';
import type { AccessUnit, AudioParams } from '../codec/types';

export interface AacUnitEvents {
  onFrame(au: AccessUnit): void;
  onParams(params: AudioParams): void;
  /** Bytes of a PES that were not whole ADTS frames. */
  onDropped(): void;
}

/**
 * Cuts the payload of AAC PES packets into one access unit per ADTS frame (header kept, as the
 * live demuxer delivers them), each timed 1024 samples after the one before.
 */
export class AacUnitBuilder {
  params: AudioParams | undefined;
  private nextPts = -1;

  constructor(private readonly events: AacUnitEvents) {}

  /** `pts` unwrapped 90 kHz, or -1 when the PES had none. */
  pes(payload: Buffer, pts: number): void {
    let at = pts >= 0 ? pts : this.nextPts;
    if (at < 0) {
      this.events.onDropped();
      return;
    }
    let offset = 0;
    while (offset < payload.length) {
      const h = parseAdtsHeader(payload, offset);
      if (!h || offset + h.frameLength > payload.length) {
        this.events.onDropped();
        break;
      }
      const p = this.params;
      if (!p || p.sampleRate !== h.sampleRate || p.channels !== h.channelConfig) {
        this.params = { kind: 'audio', codec: 'aac', sampleRate: h.sampleRate, channels: h.channelConfig, aacConfig: aacConfigFromAdts(h) };
        this.events.onParams(this.params);
      }
      this.events.onFrame({ kind: 'audio', codec: 'aac', pts: at, dts: at, keyframe: true, data: payload.subarray(offset, offset + h.frameLength) });
      at += Math.round((1024 * 90000) / h.sampleRate);
      offset += h.frameLength;
    }
    this.nextPts = at;
  }
}
