import type { AccessUnit, AudioParams, MediaParams, VideoParams } from '../codec/types';
import { PTS_WRAP, TimestampUnwrapper } from '../ps/timestamp';
import type { TsStream } from '../record/ts-scan';
import { AacUnitBuilder } from './aac-units';
import { compositionOffset, readPesPacket } from './pes-packet';
import { NULL_PID, readTsPacketHeader, TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-packet';
import { PAT_TABLE_ID, PMT_TABLE_ID, pmtPidOf, psiSection, selectTracks, streamsOfPmt, type SelectedTracks } from './ts-tables';
import { VideoUnitBuilder } from './video-units';

export interface TsDemuxerOptions {
  onFrame(au: AccessUnit): void;
  /** Codec parameters, when they first appear and whenever they change. */
  onParams?(params: MediaParams): void;
  /**
   * The program's streams when reading starts after the PAT/PMT (a seek into the middle of a
   * file whose start was scanned). A PMT read later replaces them.
   */
  streams?: readonly TsStream[] | null;
}

export interface TsDemuxStats {
  bytesIn: number;
  packets: number;
  /** Times packet alignment was lost and the next sync byte searched for. */
  resyncs: number;
  /** Bytes that were not part of any usable packet (garbage, a torn tail). */
  bytesSkipped: number;
  /** Packets with the error indicator, a reserved field or an impossible adaptation field. */
  badPackets: number;
  /** Continuity counter jumps on a stream we read: packets were lost or inserted. */
  continuityErrors: number;
  tables: number;
  /** PES packets handed to the codec layer, and those dropped as unreadable, damaged or truncated. */
  pes: number;
  pesDropped: number;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  /** Access units (or pieces of payload) thrown away by the codec layer. */
  framesDropped: number;
}

/** Beyond this a PES is not a picture but a broken length field. */
const MAX_PES_BYTES = 8 * 1024 * 1024;

interface PesCollector {
  pid: number;
  pieces: Buffer[];
  bytes: number;
  /** Whole PES size from PES_packet_length, 0 when unbounded. */
  expected: number;
  /** Collecting a PES (false: between PES, or the current one is damaged or skipped). */
  open: boolean;
}

/**
 * MPEG-2 TS in, access units out: the reader for recorded segments (what SegmentWriter writes,
 * and other single-program TS with H.264/H.265 and ADTS AAC). Feed it the file in chunks of any
 * size; call flush() at the end of the file.
 *
 * Never throws on input. Garbage between packets costs a resync, a damaged packet the PES it
 * belongs to, a torn tail its last frame; everything is counted in `stats`.
 */
export class TsDemuxer {
  readonly stats: TsDemuxStats = {
    bytesIn: 0,
    packets: 0,
    resyncs: 0,
    bytesSkipped: 0,
    badPackets: 0,
    continuityErrors: 0,
    tables: 0,
    pes: 0,
    pesDropped: 0,
    videoFrames: 0,
    audioFrames: 0,
    keyframes: 0,
    framesDropped: 0,
  };
  private rest: Buffer | null = null;
  private inSync = true;
  private pmtPid = -1;
  private tracks: SelectedTracks = {};
  private video: VideoUnitBuilder | null = null;
  private audio: AacUnitBuilder | null = null;
  private videoPes: PesCollector | null = null;
  private audioPes: PesCollector | null = null;
  private readonly continuity = new Map<number, number>();
  private readonly clock = new TimestampUnwrapper(PTS_WRAP);

  constructor(private readonly options: TsDemuxerOptions) {
    if (options.streams) this.useStreams(options.streams);
  }

  /** The last parameters of each track, for a consumer that starts now. */
  get params(): { video?: VideoParams; audio?: AudioParams } {
    const out: { video?: VideoParams; audio?: AudioParams } = {};
    if (this.video?.params) out.video = this.video.params;
    if (this.audio?.params) out.audio = this.audio.params;
    return out;
  }

  /** Whether every track the program lists has its parameters (a player can announce them all). */
  get paramsComplete(): boolean {
    if (!this.tracks.video && !this.tracks.audio) return false;
    return (!this.tracks.video || this.video?.params !== undefined) && (!this.tracks.audio || this.audio?.params !== undefined);
  }

  push(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length;
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let at = 0;
    while (buf.length - at >= TS_PACKET_SIZE) {
      if (!this.inSync || buf[at] !== TS_SYNC_BYTE) {
        const found = this.resync(buf, at, false);
        if (found < 0) {
          // Not enough bytes to confirm a sync point: keep the tail for the next chunk.
          const keep = Math.max(at, buf.length - 2 * TS_PACKET_SIZE);
          this.stats.bytesSkipped += keep - at;
          at = keep;
          break;
        }
        at = found;
      }
      this.packet(buf, at);
      at += TS_PACKET_SIZE;
    }
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  /** End of input: the PES in progress are complete as they are; a partial packet is dropped. */
  flush(): void {
    const buf = this.rest;
    this.rest = null;
    if (buf) {
      let at = 0;
      while (buf.length - at >= TS_PACKET_SIZE) {
        if (!this.inSync || buf[at] !== TS_SYNC_BYTE) {
          const found = this.resync(buf, at, true);
          if (found < 0) break;
          at = found;
        }
        this.packet(buf, at);
        at += TS_PACKET_SIZE;
      }
      this.stats.bytesSkipped += buf.length - at;
    }
    if (this.videoPes) this.finishPes(this.videoPes);
    if (this.audioPes) this.finishPes(this.audioPes);
  }

  /**
   * The next offset from `at` where a packet starts and the two after it do too (or, at the end
   * of input, as many as there are). -1 when the buffer ends before that can be told.
   */
  private resync(buf: Buffer, at: number, final: boolean): number {
    if (this.inSync) {
      this.inSync = false;
      this.stats.resyncs++;
      this.breakAll();
    }
    for (let p = buf.indexOf(TS_SYNC_BYTE, at); p >= 0; p = buf.indexOf(TS_SYNC_BYTE, p + 1)) {
      if (p + TS_PACKET_SIZE > buf.length) break;
      let confirmed = true;
      for (let k = 1; k <= 2; k++) {
        const q = p + k * TS_PACKET_SIZE;
        if (q >= buf.length) {
          if (!final) return -1;
          break;
        }
        if (buf[q] !== TS_SYNC_BYTE) {
          confirmed = false;
          break;
        }
      }
      if (confirmed) {
        this.stats.bytesSkipped += p - at;
        this.inSync = true;
        return p;
      }
    }
    return -1;
  }

  private packet(buf: Buffer, at: number): void {
    this.stats.packets++;
    const h = readTsPacketHeader(buf, at);
    if (!h) {
      this.stats.badPackets++;
      const pid = (((buf[at + 1] ?? 0) & 0x1f) << 8) | (buf[at + 2] ?? 0);
      this.breakPid(pid);
      return;
    }
    if (!h.hasPayload || h.pid === NULL_PID) return;
    const tracked = h.pid === 0 || h.pid === this.pmtPid || h.pid === this.videoPes?.pid || h.pid === this.audioPes?.pid;
    if (!tracked) return;
    const last = this.continuity.get(h.pid);
    this.continuity.set(h.pid, h.continuity);
    if (last !== undefined && !h.discontinuity) {
      if (h.continuity === last) return; // a duplicate packet (2.4.3.3): ignore it
      if (h.continuity !== ((last + 1) & 0x0f)) {
        this.stats.continuityErrors++;
        this.breakPid(h.pid);
      }
    }
    const payload = buf.subarray(h.payloadStart, at + TS_PACKET_SIZE);
    if (h.pid === 0) this.pat(payload, h.unitStart);
    else if (h.pid === this.pmtPid) this.pmt(payload, h.unitStart);
    else if (h.pid === this.videoPes?.pid) this.pesPacket(this.videoPes, payload, h.unitStart);
    else if (h.pid === this.audioPes?.pid) this.pesPacket(this.audioPes, payload, h.unitStart);
  }

  private pat(payload: Buffer, unitStart: boolean): void {
    const section = unitStart ? psiSection(payload, PAT_TABLE_ID) : null;
    if (!section) return;
    this.stats.tables++;
    const pid = pmtPidOf(section);
    if (pid > 0 && pid !== NULL_PID) this.pmtPid = pid;
  }

  private pmt(payload: Buffer, unitStart: boolean): void {
    const section = unitStart ? psiSection(payload, PMT_TABLE_ID) : null;
    if (!section) return;
    this.stats.tables++;
    this.useStreams(streamsOfPmt(section));
  }

  /** Switches to the program's tracks; a track whose PID or codec changed starts over. */
  private useStreams(streams: readonly TsStream[]): void {
    const next = selectTracks(streams);
    const { video, audio } = this.tracks;
    if (next.video?.pid !== video?.pid || next.video?.codec !== video?.codec) {
      if (this.videoPes) this.finishPes(this.videoPes);
      this.videoPes = next.video ? collector(next.video.pid) : null;
      this.video = next.video ? this.videoBuilder(next.video.codec) : null;
    }
    if (next.audio?.pid !== audio?.pid) {
      if (this.audioPes) this.finishPes(this.audioPes);
      this.audioPes = next.audio ? collector(next.audio.pid) : null;
      this.audio = next.audio ? this.audioBuilder() : null;
    }
    this.tracks = next;
  }

  private pesPacket(c: PesCollector, payload: Buffer, unitStart: boolean): void {
    if (unitStart) {
      this.finishPes(c);
      c.open = true;
      c.expected = payload.length >= 6 && payload[0] === 0 && payload[1] === 0 && payload[2] === 1 ? payload.readUInt16BE(4) : 0;
      if (c.expected > 0) c.expected += 6;
    } else if (!c.open) {
      return;
    }
    c.pieces.push(payload);
    c.bytes += payload.length;
    if (c.expected > 0 && c.bytes >= c.expected) this.finishPes(c);
    else if (c.bytes > MAX_PES_BYTES) this.dropPes(c);
  }

  private finishPes(c: PesCollector): void {
    if (!c.open) return;
    const data = c.pieces.length === 1 ? (c.pieces[0] as Buffer) : Buffer.concat(c.pieces, c.bytes);
    c.pieces = [];
    c.bytes = 0;
    c.open = false;
    const pes = readPesPacket(data);
    if (!pes || pes.truncated) {
      this.stats.pesDropped++;
      return;
    }
    this.stats.pes++;
    let pts = -1;
    let dts = -1;
    if (pes.pts >= 0) {
      pts = this.clock.unwrap(pes.pts);
      dts = pts - compositionOffset(pes.pts, pes.dts);
    }
    if (c === this.videoPes) this.video?.pes(pes.payload, pts, dts);
    else this.audio?.pes(pes.payload, pts);
  }

  /** The PES in progress on `pid` lost bytes: it goes. */
  private breakPid(pid: number): void {
    if (this.videoPes?.pid === pid) this.dropPes(this.videoPes);
    else if (this.audioPes?.pid === pid) this.dropPes(this.audioPes);
  }

  private breakAll(): void {
    if (this.videoPes) this.dropPes(this.videoPes);
    if (this.audioPes) this.dropPes(this.audioPes);
    this.continuity.clear();
  }

  private dropPes(c: PesCollector): void {
    if (c.open) this.stats.pesDropped++;
    c.pieces = [];
    c.bytes = 0;
    c.open = false;
  }

  private videoBuilder(codec: 'h264' | 'h265'): VideoUnitBuilder {
    return new VideoUnitBuilder(codec, {
      onFrame: (au) => this.emit(au),
      onParams: (p) => this.options.onParams?.(p),
      onDropped: () => this.stats.framesDropped++,
    });
  }

  private audioBuilder(): AacUnitBuilder {
    return new AacUnitBuilder({
      onFrame: (au) => this.emit(au),
      onParams: (p) => this.options.onParams?.(p),
      onDropped: () => this.stats.framesDropped++,
    });
  }

  private emit(au: AccessUnit): void {
    if (au.kind === 'video') {
      this.stats.videoFrames++;
      if (au.keyframe) this.stats.keyframes++;
    } else {
      this.stats.audioFrames++;
    }
    this.options.onFrame(au);
  }
}

function collector(pid: number): PesCollector {
  return { pid, pieces: [], bytes: 0, expected: 0, open: false };
}
