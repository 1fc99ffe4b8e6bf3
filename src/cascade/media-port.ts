import type { SipRequest } from '../sip/message/types';
import type { ServerTransactionContext } from '../sip/transaction';

/**
 * The seam between cascade signaling (src/cascade/: which upper sent this, is the channel shared,
 * what is our local channel) and cascade media (src/cascade/media/: answering the INVITE and
 * sending PS over RTP). Signaling resolves the target, media answers the INVITE and owns the
 * dialog from then on (its BYE and INFO/MANSRTSP arrive on that dialog).
 */
export interface CascadeInviteTarget {
  /** The upper platform's 20-digit ID (as configured). */
  upperId: string;
  /** Our local channel (IDs mapped for that upper already translated back). */
  channelId: string;
  deviceId: string;
  /** Where recorded footage comes from for Playback/Download INVITEs. */
  recordSource: 'platform' | 'device';
}

export interface CascadeMediaHandler {
  /** Answers the INVITE (200 with our SDP, or an error status) and starts sending after the ACK. */
  handleInvite(request: SipRequest, ctx: ServerTransactionContext, target: CascadeInviteTarget): Promise<void>;
  /** Ends every forwarding towards this upper (its link went down or it was removed). */
  stopUpper(upperId: string): Promise<void>;
  close(): Promise<void>;
}
