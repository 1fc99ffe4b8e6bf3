import type { AccessUnit } from '../codec/types';
import { PACK_HEADER_LENGTH, writePackHeader } from '../ps/pack-header';
import { pesHeaderLength, writePesHeader } from '../ps/pes-header';
import { programStreamMapLength, writeProgramStreamMap, type PsmEntry } from '../ps/psm';
import { AUDIO_STREAM_ID, VIDEO_STREAM_ID, streamTypeOf } from '../ps/stream-types';
import { systemHeaderLength, writeSystemHeader, type SystemHeaderStream } from '../ps/system-header';
import type { StreamTracks } from '../source/types';

/** Largest PES packet we write, header included (PES_packet_length is 16 bits). */
const MAX_PES_BYTES = 65400;
/** Declared mux rate, units of 50 bytes/s (2.5 MB/s, as PsMuxer). */
const MUX_RATE = 50_000;

/**
 * Writes GB/T 28181 program stream packs (Annex C.1) for access units into a caller's buffer:
 * one pack per video frame (system header and PSM before every key frame) and one per audio
 * frame. Unlike PsMuxer it allocates nothing per frame: the caller sizes the buffer with
 * `packLength` and reuses it. Audio-only streams repeat the headers on every pack, so a
 * receiver can start anywhere.
 */
export class PsPackWriter {
  private streams: SystemHeaderStream[] = [];
  private entries: PsmEntry[] = [];
  private hasVideo = false;
  private hasAudio = false;
  private version = 0;

  /** The tracks to declare in the PSM; a change of codecs bumps the PSM version. */
  setTracks(tracks: StreamTracks): void {
    const streams: SystemHeaderStream[] = [];
    const entries: PsmEntry[] = [];
    if (tracks.video) {
      streams.push({ streamId: VIDEO_STREAM_ID, bufferBytes: 1024 * 1024 });
      entries.push({ streamType: streamTypeOf(tracks.video.codec), streamId: VIDEO_STREAM_ID });
    }
    if (tracks.audio) {
      streams.push({ streamId: AUDIO_STREAM_ID, bufferBytes: 4096 });
      entries.push({ streamType: streamTypeOf(tracks.audio.codec), streamId: AUDIO_STREAM_ID });
    }
    const changed = entries.length !== this.entries.length || entries.some((e, i) => e.streamType !== this.entries[i]?.streamType);
    this.streams = streams;
    this.entries = entries;
    this.hasVideo = tracks.video !== undefined;
    this.hasAudio = tracks.audio !== undefined;
    if (changed) this.version = (this.version + 1) & 0x1f;
  }

  /** Whether an access unit of this kind has a declared track (others are not sent). */
  accepts(au: AccessUnit): boolean {
    return au.kind === 'video' ? this.hasVideo : this.hasAudio;
  }

  /** Bytes the pack of `au` takes. */
  packLength(au: AccessUnit): number {
    const headers = this.withHeaders(au) ? systemHeaderLength(this.streams.length) + programStreamMapLength(this.entries.length) : 0;
    return PACK_HEADER_LENGTH + headers + pesBytes(au.data.length, au.pts, au.dts);
  }

  /** Writes the pack of `au` at `at` (room checked by the caller); returns the end offset. */
  write(out: Buffer, at: number, au: AccessUnit): number {
    at += writePackHeader(out, at, au.dts, MUX_RATE);
    if (this.withHeaders(au)) {
      at += writeSystemHeader(out, at, MUX_RATE, this.streams);
      at += writeProgramStreamMap(out, at, this.version, this.entries);
    }
    return writePes(out, at, au.kind === 'video' ? VIDEO_STREAM_ID : AUDIO_STREAM_ID, au.data, au.pts, au.dts);
  }

  private withHeaders(au: AccessUnit): boolean {
    return au.kind === 'video' ? au.keyframe : !this.hasVideo;
  }
}

function pesBytes(length: number, pts: number, dts: number): number {
  const first = pesHeaderLength(pts, dts);
  const firstPayload = MAX_PES_BYTES - first;
  if (length <= firstPayload) return first + length;
  const rest = length - firstPayload;
  const perPes = MAX_PES_BYTES - 9;
  return MAX_PES_BYTES + rest + Math.ceil(rest / perPes) * 9;
}

/** The first PES carries the timestamps; the rest of a large frame follows in PES without. */
function writePes(out: Buffer, at: number, streamId: number, data: Buffer, pts: number, dts: number): number {
  let offset = 0;
  let first = true;
  while (first || offset < data.length) {
    const headerLength = first ? pesHeaderLength(pts, dts) : 9;
    const n = Math.min(data.length - offset, MAX_PES_BYTES - headerLength);
    at += writePesHeader(out, at, streamId, n, first ? pts : -1, first ? dts : -1);
    data.copy(out, at, offset, offset + n);
    at += n;
    offset += n;
    first = false;
  }
  return at;
}
