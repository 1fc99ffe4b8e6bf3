import type { AccessUnit } from '../codec/types';
import { PsPackWriter } from '../forward/ps-pack-writer';
import { buildRtpPacket } from '../rtp/packet';
import { RtpPsPacketizer } from '../ps/rtp-packetizer';
import { alawToUlaw } from './g711';

export type AudioPayloadFormat = 'PCMA' | 'PCMU' | 'PS';

/** 20 ms of 8 kHz G.711: the packet size RFC 3551 recommends and devices expect. */
export const SAMPLES_PER_PACKET = 160;
export const PACKET_MS = 20;

export interface AudioPacketizerOptions {
  format: AudioPayloadFormat;
  payloadType: number;
  ssrc: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
}

/**
 * Cuts A-law audio into RTP packets of 20 ms. Raw G.711 has an 8 kHz clock (timestamps step 160);
 * PS-wrapped audio has the 90 kHz PS clock (step 1800) and PTS = RTP timestamp: one audio-only
 * pack per packet (GB/T 28181 Annex C, stream type 0x90), no video stream declared, since devices
 * playing broadcast audio want none.
 */
export class AudioPacketizer {
  private seq: number;
  private readonly firstTimestamp: number;
  private readonly ps: { writer: PsPackWriter; rtp: RtpPsPacketizer } | null;
  /** Where a PS pack is assembled; the RTP packets copy it, so one buffer serves every pack. */
  private pack = Buffer.alloc(0);
  private readonly audio: Buffer;

  constructor(
    alaw: Buffer,
    private readonly options: AudioPacketizerOptions,
  ) {
    this.audio = options.format === 'PCMU' ? alawToUlaw(alaw) : alaw;
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 65536)) & 0xffff;
    this.firstTimestamp = (options.initialTimestamp ?? Math.floor(Math.random() * 2 ** 31)) >>> 0;
    this.ps = null;
    if (options.format === 'PS') {
      const writer = new PsPackWriter();
      writer.setTracks({ audio: { kind: 'audio', codec: 'g711a', sampleRate: 8000, channels: 1 } });
      this.ps = { writer, rtp: new RtpPsPacketizer({ ssrc: options.ssrc, payloadType: options.payloadType, initialSequenceNumber: this.seq }) };
    }
  }

  /** Packets of the whole clip (the last one may be shorter than 20 ms). */
  get count(): number {
    return Math.ceil(this.audio.length / SAMPLES_PER_PACKET);
  }

  /** RTP packet(s) for the `index`-th 20 ms of audio. */
  packet(index: number): Buffer[] {
    const samples = this.audio.subarray(index * SAMPLES_PER_PACKET, Math.min(this.audio.length, (index + 1) * SAMPLES_PER_PACKET));
    if (this.ps !== null) {
      const pts = this.firstTimestamp + index * SAMPLES_PER_PACKET * (90000 / 8000);
      const au: AccessUnit = { kind: 'audio', codec: 'g711a', pts, dts: pts, keyframe: true, data: samples };
      const length = this.ps.writer.packLength(au);
      if (this.pack.length < length) this.pack = Buffer.allocUnsafe(length);
      return this.ps.rtp.packetize(this.pack.subarray(0, this.ps.writer.write(this.pack, 0, au)), pts);
    }
    const timestamp = (this.firstTimestamp + index * SAMPLES_PER_PACKET) >>> 0;
    const packet = buildRtpPacket({ marker: index === 0, payloadType: this.options.payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.options.ssrc }, samples);
    this.seq = (this.seq + 1) & 0xffff;
    return [packet];
  }
}
