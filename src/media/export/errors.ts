import { AppError, type AppErrorCode } from '../../errors';

/**
 * Why an export failed. The API maps the error through AppError's `code`; `failure` is the
 * export's own reason, and what a stored job record carries as its error code.
 */
export type ExportFailure = 'bad-range' | 'no-footage' | 'ffmpeg-missing' | 'ffmpeg-failed' | 'aborted' | 'io';

const codeOf: Record<ExportFailure, AppErrorCode> = {
  'bad-range': 'bad_request',
  'no-footage': 'not_found',
  'ffmpeg-missing': 'unavailable',
  'ffmpeg-failed': 'internal',
  aborted: 'conflict',
  io: 'internal',
};

export class ExportError extends AppError {
  constructor(
    readonly failure: ExportFailure,
    message: string,
  ) {
    super(codeOf[failure], message);
  }
}
