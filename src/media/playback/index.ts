export { RecordingPlayer, MIN_SPEED, MAX_SPEED, type PlaybackState, type RecordingPlayerOptions, type RecordingPlayerEvents, type RecordingPlayerStats } from './recording-player';
export type { RecordingSegmentRef } from './segment-reading';
export { TsDemuxer, type TsDemuxerOptions, type TsDemuxStats } from './ts-demuxer';
