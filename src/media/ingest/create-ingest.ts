import type { RtpIngest } from './rtp-ingest';
import { TcpActiveRtpIngest } from './tcp-active-ingest';
import { TcpPassiveRtpIngest } from './tcp-passive-ingest';
import type { RtpIngestOptions, RtpPayloadHandler } from './types';
import { UdpRtpIngest } from './udp-ingest';

/** The receiver for `options.transport`; `onPayload` (if given) replaces `options.onPayload`. */
export function createRtpIngest(options: RtpIngestOptions, onPayload?: RtpPayloadHandler): RtpIngest {
  const o = onPayload ? { ...options, onPayload } : options;
  switch (o.transport) {
    case 'udp':
      return new UdpRtpIngest(o);
    case 'tcp-passive':
      return new TcpPassiveRtpIngest(o);
    case 'tcp-active':
      return new TcpActiveRtpIngest(o);
  }
}
