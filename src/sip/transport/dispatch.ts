import type { Logger } from '../../logger';
import type { SipParseError, SipParseResult, SipPeer } from '../message/types';
import type { InboundSipMessage } from './types';

/**
 * Hands parsed input to the layer above. A handler that throws is logged, never allowed to unwind
 * into a socket callback (where it would take the process down).
 */
export class InboundDispatcher {
  constructor(
    private readonly logger: Logger,
    private readonly onMessage: (inbound: InboundSipMessage) => void,
    private readonly onParseError: ((error: SipParseError, peer: SipPeer) => void) | undefined,
  ) {}

  dispatch(result: SipParseResult, peer: SipPeer, size: number): void {
    if (result.ok) {
      try {
        this.onMessage({ message: result.message, peer, size });
      } catch (err) {
        this.logger.error({ err, peer }, 'SIP message handler threw');
      }
      return;
    }
    this.logger.debug({ peer, code: result.error.code, reason: result.error.message, size }, 'unparseable SIP message');
    if (this.onParseError === undefined) return;
    try {
      this.onParseError(result.error, peer);
    } catch (err) {
      this.logger.error({ err, peer }, 'SIP parse-error handler threw');
    }
  }
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) -> `1.2.3.4`, so peers compare equal either way. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.indexOf('.') !== -1 ? address.slice(7) : address;
}

/** Map key of a remote end: `1.2.3.4:5060`, `[::1]:5060`. */
export function peerKey(address: string, port: number): string {
  return address.indexOf(':') === -1 ? `${address}:${port}` : `[${address}]:${port}`;
}
