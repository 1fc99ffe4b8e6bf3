export { exportClip } from './export-clip';
export { ExportJobs } from './export-jobs';
export { ExportError, type ExportFailure } from './errors';
export type { ExportClipOptions, ExportResult, SegmentRef, SkippedSegment } from './types';
export type { ExportJobRecord, ExportJobState, ExportJobsEvents, ExportJobsOptions, ExportRequest } from './job-types';
