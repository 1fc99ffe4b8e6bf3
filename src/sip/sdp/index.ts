export type {
  GbMedia,
  GbSdp,
  GbSdpAnswer,
  GbSdpOffer,
  GbSdpResult,
  MediaDirection,
  MediaFormat,
  MediaKind,
  MediaTransport,
  PayloadMapping,
  RtpPayload,
  SdpAttribute,
  SessionName,
  TcpSetup,
} from './types';
export { parseGbSdp, MAX_SDP_BYTES } from './parse';
export { buildGbSdp, buildGbSdpAnswer, DEFAULT_VIDEO_PAYLOADS } from './build';
export { parseMediaFormat, formatMediaFormat } from './format';
export { makeSsrc, ssrcToNumber, ssrcRealmDigits, isHistorySsrc } from '../../media/ports/ssrc';
export type { SsrcKind } from '../../media/ports/ssrc';
