import type { AccessUnit } from '../codec/types';
import { SlabAllocator } from '../ps/slab-allocator';
import { PS_PAYLOAD_TYPE } from '../ps/rtp-packetizer';
import { RTP_HEADER_LENGTH } from '../rtp/packet';
import type { StreamTracks } from '../source/types';
import { PsPackWriter } from './ps-pack-writer';

export interface PsRtpPackerOptions {
  ssrc: number;
  payloadType?: number;
  /** Prefix every packet with its RFC 4571 2-byte length (RTP over TCP). */
  tcpFraming: boolean;
  /** PS bytes per RTP packet at most. Default 1400 (fits a 1500-byte MTU with IP/UDP headers). */
  maxPayload?: number;
  initialSequenceNumber?: number;
}

/** One access unit as RTP: `packets` packets back to back in `data`, each `stride` bytes apart (the last may be shorter). */
export interface PackedFrame {
  data: Buffer;
  packets: number;
  stride: number;
}

const RTP_WRAP = 2 ** 32;

/**
 * Access units to PS over RTP (GB/T 28181 Annex C): each unit becomes one PS pack, cut into RTP
 * packets of the same timestamp, the last one of a video frame with the marker bit. A frame's
 * packets are written into one contiguous piece of slab memory (headers and payload, and the
 * TCP length prefixes), so TCP sends a frame with one write and nothing is allocated per packet.
 * The PS is assembled in a scratch buffer that grows to the largest frame and is reused.
 */
export class PsRtpPacker {
  private readonly writer = new PsPackWriter();
  private readonly slab = new SlabAllocator(1024 * 1024);
  private readonly prefix: number;
  private readonly maxPayload: number;
  private readonly payloadType: number;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private seq: number;
  /** RTP timestamp of the last packet with the marker bit (see pack()). */
  private lastMarkedTimestamp = -1;

  constructor(private readonly options: PsRtpPackerOptions) {
    this.prefix = options.tcpFraming ? 2 : 0;
    this.maxPayload = Math.max(188, Math.min(options.maxPayload ?? 1400, 65535 - RTP_HEADER_LENGTH));
    this.payloadType = (options.payloadType ?? PS_PAYLOAD_TYPE) & 0x7f;
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 65536)) & 0xffff;
  }

  get sequenceNumber(): number {
    return this.seq;
  }

  setTracks(tracks: StreamTracks): void {
    this.writer.setTracks(tracks);
  }

  /** The unit's packets, or null when its kind has no declared track. */
  pack(au: AccessUnit): PackedFrame | null {
    if (!this.writer.accepts(au)) return null;
    const psLength = this.writer.packLength(au);
    if (this.scratch.length < psLength) this.scratch = Buffer.allocUnsafe(Math.max(psLength, this.scratch.length * 2));
    const ps = this.scratch;
    const written = this.writer.write(ps, 0, au);
    const packets = Math.max(1, Math.ceil(written / this.maxPayload));
    const stride = this.prefix + RTP_HEADER_LENGTH + this.maxPayload;
    const data = this.slab.allocate(packets * (this.prefix + RTP_HEADER_LENGTH) + written);
    let timestamp = ((au.dts % RTP_WRAP) + RTP_WRAP) % RTP_WRAP;
    const video = au.kind === 'video';
    // A receiver that checks markers (ours does) distrusts them when an unmarked packet repeats
    // the marked frame's timestamp: an audio pack landing on a video frame's tick moves by one.
    if (!video && timestamp === this.lastMarkedTimestamp) timestamp = (timestamp + 1) % RTP_WRAP;
    let at = 0;
    for (let i = 0, from = 0; i < packets; i++, from += this.maxPayload) {
      const n = Math.min(this.maxPayload, written - from);
      if (this.prefix > 0) {
        data.writeUInt16BE(RTP_HEADER_LENGTH + n, at);
        at += 2;
      }
      const marker = video && i === packets - 1;
      data[at] = 0x80;
      data[at + 1] = (marker ? 0x80 : 0) | this.payloadType;
      data.writeUInt16BE(this.seq, at + 2);
      data.writeUInt32BE(timestamp, at + 4);
      data.writeUInt32BE(this.options.ssrc >>> 0, at + 8);
      at += RTP_HEADER_LENGTH;
      ps.copy(data, at, from, from + n);
      at += n;
      this.seq = (this.seq + 1) & 0xffff;
    }
    if (video) this.lastMarkedTimestamp = timestamp;
    return { data, packets, stride };
  }
}
