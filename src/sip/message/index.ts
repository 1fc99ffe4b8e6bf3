export * from './types';
export { Headers, canonicalHeaderName, wireHeaderName, isListHeader, splitHeaderList } from './headers';
export { parseSipMessage, findHeaderEnd, parseContentLength, DEFAULT_MAX_MESSAGE_SIZE, type ParseOptions } from './parse';
export { serializeSipMessage } from './serialize';
export { SipStreamFramer, type SipStreamFramerOptions, type SipFrame } from './framer';
export { parseUri, formatUri, parseHostPort, formatHostPort, parsePort } from './uri';
export {
  parseNameAddr,
  formatNameAddr,
  parseVia,
  formatVia,
  parseCSeq,
  formatCSeq,
  parseParams,
  formatParams,
  isTokenChar,
} from './fields';
export {
  createRequest,
  createResponse,
  reasonPhrase,
  hasTagParam,
  generateBranch,
  generateTag,
  generateCallId,
} from './build';
