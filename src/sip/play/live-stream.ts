import { buildMansrtsp } from '../mansrtsp';
import type { MediaStreamInfo, RtpTransport } from '../../media/node/types';
import type { MediaPortLease, SsrcLease } from '../../media/ports';
import type { Dialog } from '../transaction';

export type LiveStreamState = 'starting' | 'live' | 'stopping';

/** What a device's own recordings are asked for: a range, played (Playback) or fetched fast (Download). */
export interface DeviceHistoryRequest {
  session: 'Playback' | 'Download';
  /** ms UTC. */
  start: number;
  end: number;
  /** Download only: 1-8 (a=downloadspeed). */
  downloadSpeed?: number;
  transport?: RtpTransport;
}

/** Playback control sent to the device as MANSRTSP over INFO. */
export type DevicePlaybackControl = { action: 'pause' } | { action: 'resume' } | { action: 'seek'; time: number } | { action: 'speed'; speed: number };

/** A running live stream as the API shows it. */
export interface LiveStreamView {
  streamId: string;
  channelId: string;
  deviceId: string;
  state: LiveStreamState;
  transport: RtpTransport;
  /** y= we offered, and what the device answered (they differ on many devices). */
  offeredSsrc: string;
  answeredSsrc: string | null;
  keepRunning: boolean;
  startedAt: number;
  uptimeSec: number;
  viewers: number;
  media: MediaStreamInfo | null;
  /** 'live', or a session of the device's own recordings. */
  kind: 'live' | 'playback' | 'download';
  range: { start: number; end: number } | null;
}

/** A stream's whole state, owned by LiveStreams. */
export interface LiveStream {
  streamId: string;
  channelId: string;
  deviceId: string;
  transport: RtpTransport;
  state: LiveStreamState;
  offeredSsrc: string;
  answeredSsrc: string | null;
  keepRunning: boolean;
  startedAt: number;
  viewers: number;
  dialog: Dialog | null;
  port: MediaPortLease | null;
  ssrc: SsrcLease | null;
  idleTimer: NodeJS.Timeout | null;
  /** Settles when the start finished (either way); a second request for the channel waits on it. */
  starting: Promise<void>;
  /** The media node has the stream open. */
  mediaOpen: boolean;
  history: DeviceHistoryRequest | null;
  /** CSeq of our MANSRTSP commands in this dialog. */
  rtspSeq: number;
}


/** A stream in the state it has before its start: nothing leased, no dialog yet. */
export function newStream(streamId: string, channelId: string, deviceId: string, transport: RtpTransport, history: DeviceHistoryRequest | null): LiveStream {
  return {
    streamId,
    channelId,
    deviceId,
    transport,
    state: 'starting',
    offeredSsrc: '',
    answeredSsrc: null,
    keepRunning: false,
    startedAt: Date.now(),
    viewers: 0,
    dialog: null,
    port: null,
    ssrc: null,
    idleTimer: null,
    starting: Promise.resolve(),
    mediaOpen: false,
    history,
    rtspSeq: 0,
  };
}

/** The MANSRTSP body of a playback control: seek positions are seconds from the range's start. */
export function mansrtspFor(control: DevicePlaybackControl, cseq: number, rangeStart: number): string {
  switch (control.action) {
    case 'pause':
      return buildMansrtsp({ method: 'PAUSE', cseq });
    case 'resume':
      return buildMansrtsp({ method: 'PLAY', cseq, rangeStartSec: 'now' });
    case 'seek':
      return buildMansrtsp({ method: 'PLAY', cseq, rangeStartSec: Math.max(0, (control.time - rangeStart) / 1000) });
    case 'speed':
      return buildMansrtsp({ method: 'PLAY', cseq, scale: control.speed });
  }
}
