import type { SipPeer } from '../message/types';

/** A client transaction got no final response in time (RFC 3261 Timer B/F). */
export class SipTimeoutError extends Error {
  readonly code = 'SIP_TIMEOUT';
  constructor(
    readonly method: string,
    readonly peer: SipPeer,
    readonly timeoutMs: number,
  ) {
    super(`${method} to ${peer.transport}:${peer.address}:${peer.port} got no final response within ${timeoutMs} ms`);
    this.name = 'SipTimeoutError';
  }
}

/** The endpoint was closed while a request was pending, or a request was made after close. */
export class SipEndpointClosedError extends Error {
  readonly code = 'SIP_ENDPOINT_CLOSED';
  constructor(readonly method: string) {
    super(`SIP endpoint closed: ${method} abandoned`);
    this.name = 'SipEndpointClosedError';
  }
}

/** A request was made on a dialog that is already closed. */
export class SipDialogClosedError extends Error {
  readonly code = 'SIP_DIALOG_CLOSED';
  constructor(
    readonly method: string,
    readonly callId: string,
  ) {
    super(`dialog ${callId} is closed: cannot send ${method}`);
    this.name = 'SipDialogClosedError';
  }
}
