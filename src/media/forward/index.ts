/** Sending a stream on as PS over RTP (cascade to an upper platform): UDP, TCP active, TCP passive. */
export { PsRtpForwarder, type PsRtpForwarderOptions } from './ps-rtp-forwarder';
export { PsRtpPacker, type PsRtpPackerOptions, type PackedFrame } from './ps-rtp-packer';
export { PsPackWriter } from './ps-pack-writer';
export type { ForwardEndReason, ForwardInfo, ForwardState, ForwardTransport, OpenForwardRequest } from './types';
