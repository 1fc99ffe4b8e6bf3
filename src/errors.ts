/**
 * Errors that cross module boundaries with a meaning the API maps to one JSON shape:
 * { "error": { "code", "message" } } with the HTTP status given here.
 */
export type AppErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'device_offline'
  | 'device_timeout'
  | 'device_error'
  | 'unavailable'
  | 'internal';

const httpStatusOf: Record<AppErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  device_offline: 409,
  device_timeout: 504,
  device_error: 502,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly httpStatus: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.httpStatus = httpStatusOf[code];
  }
}
