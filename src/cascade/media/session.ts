import type { MediaPortLease } from '../../media/ports';
import type { Dialog } from '../../sip/transaction';
import type { CascadeInviteTarget } from '../media-port';
import type { ForwardSource } from './forward-sources';
import type { UpperOffer } from './upper-offer';

export type CascadeSessionState = 'starting' | 'answered' | 'sending' | 'ending';

/** Why a cascade media session ended, for logs and the API. */
export type CascadeEndReason =
  | 'upper-bye'
  | 'stream-ended'
  | 'end-of-file'
  | 'no-ack'
  | 'receiver-lost'
  | 'start-failed'
  | 'cancelled'
  | 'upper-removed'
  | 'media-failed'
  | 'shutdown';

/** One upper's INVITE we answered: its dialog, the stream it gets, and our sending side. */
export interface CascadeSession {
  /** Also the media node's forwardId. */
  id: string;
  target: CascadeInviteTarget;
  /** The channel as the upper named it (To user): the DeviceID of our MediaStatus. */
  upperChannelId: string;
  callId: string;
  offer: UpperOffer;
  /** y= we answer and the SSRC we send with (the upper's, or ours when it gave none). */
  ssrc: string;
  ssrcNumber: number;
  state: CascadeSessionState;
  source: ForwardSource | null;
  dialog: Dialog | null;
  port: MediaPortLease | null;
  forwardOpen: boolean;
  ackTimer: NodeJS.Timeout | null;
  startedAt: number;
  /** Settles when the start (stream, port, sending socket) is done, either way. */
  starting: Promise<void>;
  /** Settles when the session has ended and released everything. */
  ended: Promise<void> | null;
}

/** What the API or a test sees of a session. */
export interface CascadeSessionView {
  id: string;
  upperId: string;
  channelId: string;
  session: UpperOffer['session'];
  transport: UpperOffer['transport'];
  destination: string;
  ssrc: string;
  state: CascadeSessionState;
  streamId: string | null;
  startedAt: number;
}

export function viewOf(s: CascadeSession): CascadeSessionView {
  return {
    id: s.id,
    upperId: s.target.upperId,
    channelId: s.target.channelId,
    session: s.offer.session,
    transport: s.offer.transport,
    destination: `${s.offer.host}:${s.offer.port}`,
    ssrc: s.ssrc,
    state: s.state,
    streamId: s.source?.streamId ?? null,
    startedAt: s.startedAt,
  };
}
