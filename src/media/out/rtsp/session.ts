import type { Logger } from '../../../logger';
import type { AccessUnit } from '../../codec/types';
import type { MediaSource } from '../../source/media-source';
import type { MediaSink, SinkEndReason, StreamTracks } from '../../source/types';
import { payloadAccessUnit } from './payload-access-unit';
import { buildBye, buildSenderReport } from './rtcp';
import type { RtpTrackSender } from './rtp-sender';
import type { RtpTransport } from './rtp-transport';
import { AUDIO_TRACK_ID, VIDEO_TRACK_ID, type SdpTrack } from './tracks';

/** One set-up track of a session. */
export interface SessionTrack {
  sdp: SdpTrack;
  /** The URL the client set the track up with: RTP-Info must name it exactly (ffmpeg compares strings). */
  url: string;
  sender: RtpTrackSender;
  transport: RtpTransport;
  /** RTP timestamp of the session's reference presentation time. */
  base: number;
  /** Media time (ms on the session's wall clock) of the last sender report, -Infinity before the first. */
  lastReportAt: number;
}

export type RtspSessionState = 'ready' | 'playing' | 'paused' | 'closed';

export interface RtspSessionHooks {
  logger: Logger;
  now(): number;
  maxPayload: number;
  /** Counts what went out, for the server's stats. */
  sent(packets: number, bytes: number): void;
  /**
   * The session is over. `byServer` is true when it ended on its own (stream ended, viewer too
   * slow, codec changed, timeout): the client learns it only when its connection closes.
   */
  closed(session: RtspSession, reason: string, byServer: boolean): void;
}

export interface PlayInfo {
  /** Seconds of the Range header's start. */
  npt: number;
  rtpInfo: string;
}

const SENDER_REPORT_INTERVAL_MS = 5000;

/**
 * One client's RTSP session (RFC 2326 3.4) on a live stream: its tracks, each with an RTP sender
 * and a transport, and, while playing, a MediaSink attached to the stream's MediaSource. The
 * first thing it sends is the key frame the source starts it with.
 */
export class RtspSession implements MediaSink {
  readonly kind = 'rtsp';
  readonly tracks = new Map<number, SessionTrack>();
  state: RtspSessionState = 'ready';
  lastActivity: number;
  private detachSource: (() => void) | null = null;
  /** Presentation time (90 kHz) that maps to each track's `base`; set by the first frame sent. */
  private refPts: number | null = null;
  private lastPts = 0;
  private nptAtRef = 0;
  private pausedAt = 0;
  /** Wall clock (ms) of media time 0, for sender reports. */
  private readonly clockOrigin: number;

  constructor(
    readonly id: string,
    readonly stream: string,
    readonly source: MediaSource,
    /** The connection that set the session up: it carries the interleaved data and its close ends the session. */
    readonly owner: object,
    private readonly hooks: RtspSessionHooks,
  ) {
    this.lastActivity = hooks.now();
    this.clockOrigin = hooks.now();
  }

  get lower(): 'tcp' | 'udp' {
    for (const t of this.tracks.values()) return t.transport.lower;
    return 'tcp';
  }

  touch(): void {
    this.lastActivity = this.hooks.now();
  }

  /** Sets a track up, replacing an earlier setup of the same track. */
  addTrack(track: SessionTrack): void {
    this.tracks.get(track.sdp.id)?.transport.close();
    this.tracks.set(track.sdp.id, track);
  }

  /** What the PLAY answer announces; call startSending() once the answer is written. */
  play(): PlayInfo {
    if (this.state === 'paused') this.resumeClock();
    const rtpInfo = [...this.tracks.values()].map((t) => `url=${t.url};seq=${t.sender.nextSequence};rtptime=${t.base >>> 0}`).join(',');
    return { npt: this.nptAtRef, rtpInfo };
  }

  /** Attaches to the source; the cached GOP (from its key frame) goes out at once. */
  startSending(): void {
    if (this.state === 'closed' || this.state === 'playing') return;
    this.state = 'playing';
    const detach = this.source.attach(this);
    // attach() may already have ended us (stream over, codec not the announced one).
    if (this.isClosed()) detach();
    else this.detachSource = detach;
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  pause(): void {
    if (this.state !== 'playing') return;
    this.state = 'paused';
    this.pausedAt = this.hooks.now();
    this.detachSource?.();
    this.detachSource = null;
  }

  /** Ends the session: detaches from the source, says BYE on each track and releases its ports. Idempotent. */
  close(reason: string, byServer = false): void {
    if (this.state === 'closed') return;
    const wasSending = this.state === 'playing';
    this.state = 'closed';
    this.detachSource?.();
    this.detachSource = null;
    for (const t of this.tracks.values()) {
      if (wasSending) t.transport.sendRtcp(buildBye(t.sender.ssrc, 0));
      t.transport.close();
    }
    this.hooks.closed(this, reason, byServer);
  }

  start(tracks: StreamTracks): void {
    this.checkCodecs(tracks);
  }

  tracksChanged(tracks: StreamTracks): void {
    this.checkCodecs(tracks);
  }

  write(au: AccessUnit): void {
    if (this.state !== 'playing') return;
    const track = this.tracks.get(au.kind === 'video' ? VIDEO_TRACK_ID : AUDIO_TRACK_ID);
    if (track === undefined) return;
    try {
      this.send(track, au);
    } catch (err) {
      this.hooks.logger.error({ err, session: this.id, stream: this.stream }, 'rtsp session failed to send a frame');
    }
  }

  pendingBytes(): number {
    let pending = 0;
    for (const t of this.tracks.values()) pending = Math.max(pending, t.transport.pendingBytes());
    return pending;
  }

  end(reason: SinkEndReason): void {
    this.detachSource = null;
    this.close(reason, true);
  }

  private send(track: SessionTrack, au: AccessUnit): void {
    const pieces = payloadAccessUnit(track.sdp, au, this.hooks.maxPayload);
    if (pieces.length === 0) return;
    if (this.refPts === null) this.refPts = au.pts;
    this.lastPts = Math.max(this.lastPts, au.pts);
    const delta = Math.round(((au.pts - this.refPts) * track.sdp.clockRate) / 90000);
    const timestamp = (track.base + delta) >>> 0;
    const packets = track.sender.packetize(pieces, timestamp);
    track.transport.sendRtp(packets);
    let bytes = 0;
    for (const p of packets) bytes += p.head.length - 4 + p.body.length;
    this.hooks.sent(packets.length, bytes);
    // Sender reports tie every track to one clock, media time from the reference frame, so a client can line up audio and video.
    const mediaMs = (au.pts - this.refPts) / 90 + this.nptAtRef * 1000;
    if (mediaMs - track.lastReportAt >= SENDER_REPORT_INTERVAL_MS) {
      track.lastReportAt = mediaMs;
      const report = { ssrc: track.sender.ssrc, wallMs: this.clockOrigin + mediaMs, rtpTimestamp: timestamp, packets: track.sender.packets, octets: track.sender.octets };
      track.transport.sendRtcp(buildSenderReport(report, 0));
    }
  }

  /** After a pause the clock goes on from where it stopped plus the time paused; the next frame sets the new reference. */
  private resumeClock(): void {
    const pausedMs = Math.max(0, this.hooks.now() - this.pausedAt);
    if (this.refPts !== null) this.nptAtRef += (this.lastPts - this.refPts) / 90000 + pausedMs / 1000;
    for (const t of this.tracks.values()) {
      if (t.sender.lastTimestamp >= 0) t.base = (t.sender.lastTimestamp + Math.round((pausedMs / 1000) * t.sdp.clockRate) + 1) >>> 0;
    }
    this.refPts = null;
  }

  /** The announced codecs cannot change within a session: end it, and the client reconnects and reads the new SDP. */
  private checkCodecs(tracks: StreamTracks): void {
    for (const t of this.tracks.values()) {
      const now = t.sdp.kind === 'video' ? tracks.video : tracks.audio;
      if (now !== undefined && now.codec !== t.sdp.codec) {
        this.hooks.logger.info({ session: this.id, stream: this.stream, from: t.sdp.codec, to: now.codec }, 'rtsp stream changed codec; ending the session');
        this.close('codec-changed', true);
        return;
      }
    }
  }
}
