import { AppError, type AppErrorCode } from '../../errors';

export type RtpIngestFailure = 'bind-failed' | 'connect-failed' | 'closed' | 'wrong-state';

const codeOf: Record<RtpIngestFailure, AppErrorCode> = {
  'bind-failed': 'unavailable',
  'connect-failed': 'device_timeout',
  closed: 'conflict',
  'wrong-state': 'internal',
};

/** Why a receiver could not start or connect. `cause` carries the socket error when there was one. */
export class RtpIngestError extends AppError {
  constructor(
    readonly failure: RtpIngestFailure,
    message: string,
    /** errno code of the underlying socket error (EADDRINUSE, ECONNREFUSED, ETIMEDOUT, ...). */
    readonly errno?: string,
  ) {
    super(codeOf[failure], message);
  }
}

export function errnoOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}
