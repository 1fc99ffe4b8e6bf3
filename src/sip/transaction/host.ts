import type { Logger } from '../../logger';
import type { SipMessage, SipPeer, SipResponse } from '../message/types';
import type { TimerWheel } from './timer-wheel';
import type { SipTimers } from './timers';
import type { ClientTransaction } from './client-transaction';
import type { ServerTransaction } from './server-transaction';

/** What a transaction needs from the endpoint that owns it. */
export interface TransactionHost {
  readonly wheel: TimerWheel;
  readonly timers: SipTimers;
  readonly logger: Logger;
  readonly userAgent: string | undefined;
  /** Sends; the promise rejects with the transport's error. */
  transmit(message: SipMessage, peer: SipPeer): Promise<void>;
  /** Sends; a failure is only logged (retransmissions, responses, ACKs). */
  post(message: SipMessage, peer: SipPeer): void;
  /**
   * Sends bytes already serialized; a failure is only logged. `message` (the first time only)
   * is what the bytes say, for metrics.
   */
  postBytes(bytes: Buffer, peer: SipPeer, message?: SipMessage): void;
  clientTerminated(tx: ClientTransaction): void;
  /** Timer B/F fired: count it, and CANCEL an INVITE that was ringing. */
  clientTimedOut(tx: ClientTransaction): void;
  /** A 2xx to an INVITE whose caller has given up: ACK it and hang up (RFC 3261 13.2.2.4). */
  unwanted2xx(response: SipResponse, peer: SipPeer): void;
  serverTerminated(tx: ServerTransaction): void;
  /** A 2xx to an INVITE was sent; its ACK (with a new branch) should find this transaction. */
  serverAwaitsAck(tx: ServerTransaction, key: string): void;
}
