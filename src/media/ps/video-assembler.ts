import { findNalUnits, type NalLayout } from '../codec/annexb';
import { AccessUnitBuilder } from '../codec/access-unit-builder';
import { codecEvidence, isVclNal, nalType, startsAccessUnit } from '../codec/nal-unit';
import { hasParsableSps } from '../codec/parameter-sets';
import type { AccessUnit, VideoCodec, VideoParams } from '../codec/types';
import { SlabAllocator } from './slab-allocator';
import { PTS_WRAP, TimestampUnwrapper } from './timestamp';

export interface VideoAssemblerEvents {
  onFrame(au: AccessUnit): void;
  onParams(params: VideoParams): void;
  /** Bytes that belonged to no NAL unit, or a whole frame that could not be used. */
  onDropped(bytes: number, frame: boolean): void;
  onCodecSwitch(from: VideoCodec | undefined, to: VideoCodec): void;
}

/** Beyond this an access unit is not a picture but a stream without boundaries. */
const MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;

/**
 * Collects the payload of video PES packets into access units. Pieces are kept as views and
 * copied once into slab memory when the unit is complete, then cut at NAL level.
 *
 * A unit ends when a PES with a new timestamp begins with a start code, when the demuxer says
 * the frame is complete (RTP marker) or at an AUD / parameter set / first slice after a slice.
 * A PES whose payload does not begin with a start code continues the unit, whatever its PTS says
 * (the second half of a key frame split into two PES; MPEG-PS muxers that start a PES mid-frame).
 */
export class VideoAccessUnitAssembler {
  /** What the PSM declares for the video stream; the NAL headers have the last word. */
  declared: VideoCodec | 'unsupported' | undefined;
  private codec: VideoCodec | undefined;

  private pieces: Buffer[] = [];
  private bytes = 0;
  private open = false;
  private pts = 0;
  private dts = 0;
  private rtpTs = 0;
  /**
   * PTS of PES packets that began mid-frame: by ISO/IEC 13818-1 2.4.3.7 such a PTS belongs to
   * the first access unit that starts in that PES, so its byte offset in the unit is kept too.
   */
  private splitTimes: SplitTime[] = [];
  /** Last emitted frame, to time frames that start inside a PES without a PTS of their own. */
  private emittedPts = -1;
  private emittedDts = 0;
  private frameDuration = 3600;
  private splitAtPesEnd = false;
  /** After a split found nothing to cut, wait for the unit to double before looking again. */
  private rescanAt = 0;
  /** Parameter sets / SEI that arrived as a unit of their own: they go in front of the next picture. */
  private carried: Buffer | null = null;
  private discarding = false;

  private pesPts = -1;
  private pesDts = -1;
  private pesRtpTs = 0;
  private pesFirst = false;
  private readonly ptsClock = new TimestampUnwrapper(PTS_WRAP);
  private lastPts = -1;
  private lastRtpTs = 0;

  params: VideoParams | undefined;
  private readonly memory = new SlabAllocator();
  private readonly units = new AccessUnitBuilder(
    (params) => {
      this.params = params;
      this.events.onParams(params);
    },
    (pieces) => this.memory.concat(pieces),
  );

  constructor(private readonly events: VideoAssemblerEvents) {}

  /**
   * Records what the PSM says. It does not switch an established codec by itself: a real switch
   * arrives with the new codec's parameter sets, and some devices declare one codec and send another.
   */
  setDeclared(codec: VideoCodec | 'unsupported' | undefined): void {
    this.declared = codec;
  }

  pesStart(pts: number, dts: number, rtpTs: number): void {
    this.pesPts = pts;
    this.pesDts = dts;
    this.pesRtpTs = rtpTs;
    this.pesFirst = true;
  }

  pesData(piece: Buffer): void {
    if (this.pesFirst) {
      this.pesFirst = false;
      this.beginPes(piece);
    }
    if (this.discarding || !this.open) {
      this.events.onDropped(piece.length, false);
      return;
    }
    this.pieces.push(piece);
    this.bytes += piece.length;
    if (this.bytes > MAX_ACCESS_UNIT_BYTES) {
      this.finish(true);
      if (this.bytes > MAX_ACCESS_UNIT_BYTES) this.discard();
    }
  }

  pesEnd(): void {
    this.pesFirst = false;
    if (this.splitAtPesEnd && this.bytes >= this.rescanAt) {
      this.splitAtPesEnd = false;
      this.finish(true);
    }
  }

  /** The frame is complete (RTP marker, end of stream). */
  flush(): void {
    this.finish(false);
  }

  /** Packets were lost: the unit in progress is incomplete and goes; so does its remainder. */
  discard(): void {
    if (this.open) this.events.onDropped(this.bytes, true);
    this.pieces = [];
    this.bytes = 0;
    this.open = false;
    this.splitTimes = [];
    this.splitAtPesEnd = false;
    this.discarding = true;
  }

  private beginPes(piece: Buffer): void {
    const startCode = beginsWithStartCode(piece);
    let pts: number;
    let dts: number;
    if (this.pesPts >= 0) {
      pts = this.ptsClock.unwrap(this.pesPts);
      dts = this.pesDts >= 0 ? pts - ptsDelta(this.pesPts, this.pesDts) : pts;
    } else if (this.open && this.pesRtpTs === this.rtpTs) {
      pts = this.pts;
      dts = this.dts;
    } else {
      // No PTS: time the frame by the RTP clock (same 90 kHz), relative to the last one.
      pts = this.lastPts < 0 ? this.pesRtpTs : this.lastPts + ((this.pesRtpTs - this.lastRtpTs) | 0);
      dts = pts;
    }
    this.rtpTs = this.pesRtpTs;
    if (!this.open) {
      if (!startCode) {
        this.discarding = true; // the middle of a frame whose beginning we never saw
        return;
      }
      this.openUnit(pts, dts);
      return;
    }
    if (pts === this.pts && dts === this.dts) return;
    if (startCode) {
      this.finish(false);
      this.openUnit(pts, dts);
    } else {
      this.splitTimes.push({ offset: this.bytes, pts, dts });
      this.splitAtPesEnd = true;
    }
  }

  private openUnit(pts: number, dts: number): void {
    this.discarding = false;
    this.rescanAt = 0;
    this.open = true;
    this.pts = pts;
    this.dts = dts;
    this.lastPts = pts;
    this.lastRtpTs = this.rtpTs;
    if (this.carried) {
      this.pieces.push(this.carried);
      this.bytes += this.carried.length;
      this.carried = null;
    }
  }

  /** Cuts what was collected into access units and emits them; `keepLast` holds the last back. */
  private finish(keepLast: boolean): void {
    if (!this.open) return;
    // Always copied into this stream's slab, even when it is one piece: a view would keep the
    // receive buffer alive as long as the frame, and native/rtp-recv's buffer holds every
    // stream's packets of a round, so one long GOP in a cache would pin them all (ADR 0022).
    const data = this.memory.concat(this.pieces, this.bytes);
    this.pieces = [];
    this.bytes = 0;
    this.open = false;
    const layout = findNalUnits(data);
    const count = layout.starts.length;
    if (count === 0) {
      this.events.onDropped(data.length, false);
      return;
    }
    const first = layout.codeStarts[0] ?? 0;
    if (first > 0) this.events.onDropped(first, false);
    const codec = this.resolveCodec(data, layout);
    if (!codec) {
      this.events.onDropped(data.length - first, true);
      return;
    }
    const cuts = accessUnitCuts(codec, data, layout);
    const times = this.timeCuts(cuts, layout);
    const last = keepLast ? cuts.length - 1 : cuts.length;
    for (let g = 0; g < last; g++) {
      const t = times[g];
      const pts = t ? t.pts : this.emittedPts + this.frameDuration;
      const dts = t ? t.dts : this.emittedDts + this.frameDuration;
      if (this.emitGroup(codec, data, layout, cuts[g] ?? 0, cuts[g + 1] ?? count, pts, dts)) {
        if (t && this.emittedPts >= 0 && pts - this.emittedPts > 0 && pts - this.emittedPts < 90000) {
          this.frameDuration = pts - this.emittedPts;
        }
        this.emittedPts = pts;
        this.emittedDts = dts;
      }
    }
    if (!keepLast) {
      this.splitTimes = [];
      return;
    }
    const from = layout.codeStarts[cuts[last] ?? 0] ?? 0;
    const t = times[last];
    this.openUnit(t ? t.pts : this.emittedPts + this.frameDuration, t ? t.dts : this.emittedDts + this.frameDuration);
    this.pieces.push(data.subarray(from));
    this.bytes += data.length - from;
    if (last === 0) this.rescanAt = this.bytes * 2;
    for (const s of this.splitTimes) s.offset -= from;
  }

  /**
   * The timing each cut gets: the unit's own for the first, a mid-PES PTS for the first cut at or
   * after where that PES began, none (to be extrapolated) for the rest. Used times are removed.
   */
  private timeCuts(cuts: number[], layout: NalLayout): (SplitTime | undefined)[] {
    const times: (SplitTime | undefined)[] = [{ offset: 0, pts: this.pts, dts: this.dts }];
    const left: SplitTime[] = [];
    for (const s of this.splitTimes) {
      let c = 1;
      while (c < cuts.length && (layout.codeStarts[cuts[c] ?? 0] ?? 0) < s.offset) c++;
      if (c < cuts.length && !times[c]) times[c] = s;
      else if (c >= cuts.length) left.push(s);
    }
    this.splitTimes = left;
    return times;
  }

  /**
   * The codec of a unit: what the stream had so far, unless the unit proves another one with a
   * parameter set of that codec that parses (a stray header byte in damaged data proves nothing).
   * Without any history, the NAL headers decide, then the PSM, then H.264.
   */
  private resolveCodec(data: Buffer, layout: NalLayout): VideoCodec | undefined {
    let h264 = 0;
    let h265 = 0;
    let strong264 = false;
    let strong265 = false;
    for (let i = 0; i < layout.starts.length; i++) {
      const s = layout.starts[i] ?? 0;
      const e = codecEvidence(data[s] ?? 0, data[s + 1] ?? 0);
      if (e > 0) h265++;
      else if (e < 0) h264++;
      if (e === 2) strong265 = true;
      else if (e === -2) strong264 = true;
    }
    const current = this.codec;
    if (current) {
      const other: VideoCodec = current === 'h264' ? 'h265' : 'h264';
      const otherOnly = current === 'h264' ? strong265 && h264 === 0 : strong264 && h265 === 0;
      if (otherOnly && hasParsableSps(other, data, layout)) this.switchCodec(other);
      return this.codec;
    }
    const declared = this.declared === 'unsupported' ? undefined : this.declared;
    const guess: VideoCodec | undefined = h265 > h264 ? 'h265' : h264 > h265 ? 'h264' : undefined;
    if (guess) {
      const strong = guess === 'h264' ? strong264 : strong265;
      if (!strong || this.declared === undefined || hasParsableSps(guess, data, layout)) {
        this.switchCodec(guess);
        if (declared && declared !== guess) this.events.onCodecSwitch(declared, guess);
        return guess;
      }
    }
    return this.declared === 'unsupported' ? undefined : (this.declared ?? 'h264');
  }

  private switchCodec(to: VideoCodec): void {
    const from = this.codec;
    this.codec = to;
    this.units.reset();
    if (from !== undefined) this.events.onCodecSwitch(from, to);
  }

  /** Emits one access unit; returns false when it held no picture and was carried forward. */
  private emitGroup(codec: VideoCodec, data: Buffer, layout: NalLayout, from: number, to: number, pts: number, dts: number): boolean {
    if (!this.units.scan(codec, data, layout, from, to)) {
      const start = layout.codeStarts[from] ?? 0;
      const end = to < layout.starts.length ? (layout.codeStarts[to] ?? data.length) : data.length;
      this.carry(data.subarray(start, end));
      return false;
    }
    const carried = this.carried;
    this.carried = null;
    this.events.onFrame(this.units.build(codec, data, layout, from, to, carried, pts, dts));
    return true;
  }

  /** Keeps NAL units without a picture (parameter sets, SEI sent on their own) for the next one. */
  private carry(group: Buffer): void {
    if (this.carried && this.carried.length + group.length > MAX_CARRIED_BYTES) {
      this.events.onDropped(this.carried.length, false);
      this.carried = null;
    }
    this.carried = this.carried ? Buffer.concat([this.carried, group]) : group;
  }
}

/** Parameter sets and SEI waiting for their picture; more than this is not that. */
const MAX_CARRIED_BYTES = 64 * 1024;

interface SplitTime {
  offset: number;
  pts: number;
  dts: number;
}

/** Indexes of the NAL units that open each access unit in `layout` (the first is always 0). */
function accessUnitCuts(codec: VideoCodec, data: Buffer, layout: NalLayout): number[] {
  const cuts = [0];
  let vclSeen = false;
  for (let i = 0; i < layout.starts.length; i++) {
    const s = layout.starts[i] ?? 0;
    const e = layout.ends[i] ?? 0;
    if (i > 0 && startsAccessUnit(codec, data, s, e, vclSeen)) {
      cuts.push(i);
      vclSeen = false;
    }
    if (isVclNal(codec, nalType(codec, data[s] ?? 0))) vclSeen = true;
  }
  return cuts;
}

function beginsWithStartCode(b: Buffer): boolean {
  if (b.length < 3) return b.length > 0 && b[0] === 0; // the parser hands over at least 4 bytes when the PES has them
  return b[0] === 0 && b[1] === 0 && (b[2] === 1 || (b[2] === 0 && b[3] === 1));
}

/** pts - dts as 33-bit values, read as a small signed difference. */
function ptsDelta(pts: number, dts: number): number {
  let d = pts - dts;
  if (d > PTS_WRAP / 2) d -= PTS_WRAP;
  else if (d < -PTS_WRAP / 2) d += PTS_WRAP;
  return d;
}
