export { initSegment } from './init-segment';
export { mediaSegment, type MediaSegmentOptions } from './media-segment';
export { lengthPrefixedSample, rawAacSample } from './sample-data';
