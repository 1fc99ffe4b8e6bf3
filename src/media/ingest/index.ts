/** Receive side of live streams: RTP over UDP / TCP passive / TCP active → reorder → PS demux → MediaSource. */
export type { RtpTransport, SsrcPolicy, RtpIngestOptions, RtpIngestStats, RtpPayloadHandler, RtpDiscontinuityHandler } from './types';
export { RtpIngest } from './rtp-ingest';
export { UdpRtpIngest } from './udp-ingest';
export { TcpPassiveRtpIngest } from './tcp-passive-ingest';
export { TcpActiveRtpIngest } from './tcp-active-ingest';
export { createRtpIngest } from './create-ingest';
export { RtpIngestError, type RtpIngestFailure } from './errors';
export { StreamPipeline, type StreamPipelineOptions, type StreamPipelineStats, type LossPolicy } from './stream-pipeline';
