import type { Logger } from '../../logger';
import type { SipMessage, SipPeer, SipRequest, SipResponse } from '../message/types';
import type { SipTransport } from '../transport/types';
import type { SipTimerOptions } from './timers';

export interface ResponseExtras {
  headers?: Array<[string, string]>;
  body?: Buffer;
  /** To tag for a request without one; every response of one transaction uses the same tag. */
  toTag?: string;
}

/** Handed to the application with every new incoming request. */
export interface ServerTransactionContext {
  /** Where the request came from (source address and port, i.e. received/rport). */
  readonly peer: SipPeer;
  /** Sends a response. The first final response wins; later calls are ignored (and logged). */
  respond(status: number, reason?: string, extra?: ResponseExtras): void;
  /** Whether a final response was sent. */
  readonly responded: boolean;
  /** Whether a CANCEL ended this INVITE (a 487 was sent for it). */
  readonly cancelled: boolean;
  /** Set by the application to learn that a CANCEL ended this INVITE. */
  onCancel: (() => void) | undefined;
}

export interface EndpointMetrics {
  onMessage(direction: 'in' | 'out', message: SipMessage): void;
  onTimeout(method: string): void;
}

export interface SipEndpointOptions {
  /** Created by the caller; the endpoint closes it only when `ownsTransport` is true. */
  transport: SipTransport;
  ownsTransport?: boolean;
  logger: Logger;
  timers?: SipTimerOptions;
  /** Added as User-Agent to what we send. */
  userAgent?: string;
  /** New incoming requests: not retransmissions, not ACKs, not in-dialog requests (those go to the Dialog). */
  onRequest: (request: SipRequest, ctx: ServerTransactionContext) => void;
  /** Responses that match no client transaction. */
  onStrayResponse?: (response: SipResponse, peer: SipPeer) => void;
  metrics?: EndpointMetrics;
}

export interface RequestOptions {
  /** Overrides Timer B/F for this request. */
  timeoutMs?: number;
  onProvisional?: (response: SipResponse) => void;
}

export interface InviteOptions extends RequestOptions {
  /** Do not ACK a 2xx automatically; the caller calls dialog.ack(body) (e.g. late offer SDP). */
  manualAck?: boolean;
}
