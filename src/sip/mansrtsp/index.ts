/** MANSRTSP: playback control (PLAY, PAUSE, TEARDOWN) in SIP INFO bodies, GB/T 28181 Annex B. */
export * from './types';
export { parseMansrtsp, MAX_MANSRTSP_BYTES } from './parse';
export { buildMansrtsp, buildMansrtspAnswer } from './build';
export type { MansrtspCommand, MansrtspAnswer } from './build';
export { isMansrtspContentType, MANSRTSP_CONTENT_TYPE } from './content-type';
export { parseRange } from './range';
export { parseRtpInfo } from './rtp-info';
export type { RtpInfo } from './rtp-info';
