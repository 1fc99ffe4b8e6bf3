import { PACK_HEADER_LENGTH, writePackHeader } from '../ps/pack-header';
import { pesHeaderLength, writePesHeader } from '../ps/pes-header';
import { programStreamMapLength, writeProgramStreamMap } from '../ps/psm';
import { AUDIO_STREAM_ID, STREAM_TYPE } from '../ps/stream-types';
import { systemHeaderLength, writeSystemHeader } from '../ps/system-header';

/** Packs between repeats of the system header and PSM (a receiver that missed the first still learns the stream). */
const HEADERS_EVERY = 50;
/** 64 kbit/s of G.711 and the PS overhead, in units of 50 bytes/s. */
const MUX_RATE = 400;

/**
 * MPEG-PS for an audio-only G.711 stream (GB/T 28181 Annex C: stream type 0x90 A-law, 0x91 µ-law),
 * one pack per RTP packet: pack header, now and then system header + PSM, one PES. The video
 * PsMuxer always declares a video stream; devices playing broadcast audio want none.
 */
export class AudioPsMuxer {
  private packs = 0;
  private readonly streamType: number;

  constructor(codec: 'g711a' | 'g711u' = 'g711a') {
    this.streamType = codec === 'g711a' ? STREAM_TYPE.G711A : STREAM_TYPE.G711U;
  }

  /** One pack of `samples` at `pts` (90 kHz). */
  mux(samples: Buffer, pts: number): Buffer {
    const withHeaders = this.packs % HEADERS_EVERY === 0;
    this.packs++;
    const streams = [{ streamId: AUDIO_STREAM_ID, bufferBytes: 4096 }];
    const entries = [{ streamType: this.streamType, streamId: AUDIO_STREAM_ID }];
    const headers = withHeaders ? systemHeaderLength(1) + programStreamMapLength(1) : 0;
    const out = Buffer.allocUnsafe(PACK_HEADER_LENGTH + headers + pesHeaderLength(pts, pts) + samples.length);
    let at = writePackHeader(out, 0, pts, MUX_RATE);
    if (withHeaders) {
      at += writeSystemHeader(out, at, MUX_RATE, streams);
      at += writeProgramStreamMap(out, at, 0, entries);
    }
    at += writePesHeader(out, at, AUDIO_STREAM_ID, samples.length, pts, pts);
    samples.copy(out, at);
    return out.subarray(0, at + samples.length);
  }
}
