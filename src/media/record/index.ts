export { SegmentWriter } from './segment-writer';
export { recoverFootage, type RecoveryReport, type RecoverOptions } from './recover-footage';
export { segmentRelativePath, parseSegmentFileName, utcDay, PART_SUFFIX } from './layout';
export type { FinishedSegment, SegmentWriterOptions } from './types';
export type { RecordFs, RecordFile } from './record-fs';
