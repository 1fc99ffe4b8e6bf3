import { parseAdtsHeader } from '../../codec/adts';
import { ParameterSetCache } from '../../codec/parameter-sets';
import type { AccessUnit, AudioCodec, VideoCodec } from '../../codec/types';
import { writePesHeader } from '../../ps/pes-header';
import { pesPacketCount, writePesPackets, type PesStart } from './ts-pes-packets';
import { AUDIO_PID, PAT_PID, PMT_PID, STREAM_TYPE, TS_PACKET_SIZE, VIDEO_PID, writePat, writePmt, type PmtStream } from './ts-psi';
import { videoPieces } from './video-pieces';

export interface TsMuxerOptions {
  /** Video codec of the program; also learnt (or changed) from the video access units. */
  video?: VideoCodec;
  /**
   * Audio codec of the program. Only AAC is carried: G.711 has no TS stream type browsers play,
   * so G.711 access units are skipped (counted in `stats.skippedAudio`). AAC access units add
   * AAC to the program when it was not declared.
   */
  audio?: AudioCodec;
}

export interface TsMuxerStats {
  accessUnits: number;
  packets: number;
  /** G.711 frames, and AAC frames without an ADTS header. */
  skippedAudio: number;
}

/** The PCR trails each decoding time by 100 ms, so a decoder has the frame before it is due. */
const PCR_LEAD = 9000;

const VIDEO_STREAM_ID = 0xe0;
const AUDIO_STREAM_ID = 0xc0;

/**
 * Access units in, MPEG-2 TS out (one program: video on PID 0x100 carrying the PCR, AAC on
 * 0x101). Each call returns one Buffer of whole 188-byte packets, PAT and PMT first whenever a
 * decoder may start there (video key frames, `withTables`) or the program changed.
 */
export class TsMuxer {
  readonly stats: TsMuxerStats = { accessUnits: 0, packets: 0, skippedAudio: 0 };
  private video: VideoCodec | undefined;
  private audio: 'aac' | undefined;
  private pmtVersion = 0;
  private tablesDue = true;
  private readonly cc = new Map<number, number>();
  private readonly parameterSets = new ParameterSetCache();
  private readonly pesHeader = Buffer.alloc(19);

  constructor(options: TsMuxerOptions = {}) {
    this.video = options.video;
    this.audio = options.audio === 'aac' ? 'aac' : undefined;
  }

  /** The codecs the PMT currently lists. */
  get program(): { video?: VideoCodec; audio?: 'aac' } {
    return { ...(this.video ? { video: this.video } : {}), ...(this.audio ? { audio: this.audio } : {}) };
  }

  /** TS packets for one access unit, or null when it is not carried (see `stats`). */
  mux(au: AccessUnit, withTables = false): Buffer | null {
    if (au.kind === 'video') return this.muxVideo(au, withTables);
    return this.muxAudio(au, withTables);
  }

  private muxVideo(au: AccessUnit, withTables: boolean): Buffer {
    const codec: VideoCodec = au.codec === 'h265' ? 'h265' : 'h264';
    if (codec !== this.video) {
      this.video = codec;
      this.parameterSets.reset();
      this.programChanged();
    }
    const pieces = videoPieces(codec, au.data, au.keyframe, this.parameterSets);
    const start: PesStart = { pcr: Math.max(0, au.dts - PCR_LEAD), randomAccess: au.keyframe };
    return this.write(VIDEO_PID, VIDEO_STREAM_ID, au, pieces, start, withTables || au.keyframe);
  }

  private muxAudio(au: AccessUnit, withTables: boolean): Buffer | null {
    if (au.codec !== 'aac' || !parseAdtsHeader(au.data, 0)) {
      this.stats.skippedAudio++;
      return null;
    }
    if (this.audio !== 'aac') {
      this.audio = 'aac';
      this.programChanged();
    }
    // Without video the audio PID carries the PCR and every frame is a place to start.
    const alone = this.video === undefined;
    const start: PesStart = { pcr: alone ? Math.max(0, au.dts - PCR_LEAD) : -1, randomAccess: alone };
    return this.write(AUDIO_PID, AUDIO_STREAM_ID, au, [au.data], start, withTables);
  }

  private write(pid: number, streamId: number, au: AccessUnit, es: readonly Buffer[], start: PesStart, withTables: boolean): Buffer {
    let esLength = 0;
    for (const b of es) esLength += b.length;
    const headerLength = writePesHeader(this.pesHeader, 0, streamId, esLength, au.pts, au.dts);
    // A video PES longer than the 16-bit length field says 0: "unbounded" (2.4.3.7).
    if (pid === VIDEO_PID && 3 + (headerLength - 9) + esLength > 0xffff) this.pesHeader.writeUInt16BE(0, 4);
    const pieces = [this.pesHeader.subarray(0, headerLength), ...es];
    const tables = withTables || this.tablesDue;
    const count = pesPacketCount(headerLength + esLength, start) + (tables ? 2 : 0);
    const out = Buffer.allocUnsafe(count * TS_PACKET_SIZE);
    let at = 0;
    if (tables) {
      writePat(out, 0, this.nextCc(PAT_PID));
      writePmt(out, TS_PACKET_SIZE, this.nextCc(PMT_PID), this.pmtVersion, this.pcrPid(), this.streams());
      at = 2 * TS_PACKET_SIZE;
      this.tablesDue = false;
    }
    this.cc.set(pid, writePesPackets(out, at, pid, this.cc.get(pid) ?? 0, pieces, start));
    this.stats.accessUnits++;
    this.stats.packets += count;
    return out;
  }

  /** A new PMT version, unless no PMT went out yet. */
  private programChanged(): void {
    if (!this.tablesDue) this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    this.tablesDue = true;
  }

  private nextCc(pid: number): number {
    const cc = this.cc.get(pid) ?? 0;
    this.cc.set(pid, (cc + 1) & 0x0f);
    return cc;
  }

  private pcrPid(): number {
    return this.video ? VIDEO_PID : this.audio ? AUDIO_PID : 0x1fff;
  }

  private streams(): PmtStream[] {
    const streams: PmtStream[] = [];
    if (this.video) streams.push({ streamType: STREAM_TYPE[this.video], pid: VIDEO_PID });
    if (this.audio) streams.push({ streamType: STREAM_TYPE.aac, pid: AUDIO_PID });
    return streams;
  }
}
