import { AppError } from '../../errors';

/** Every even port of the range is leased or held by another process: no new stream can start. */
export class MediaPortsExhaustedError extends AppError {
  constructor(
    readonly host: string,
    readonly range: { min: number; max: number },
    detail: string,
  ) {
    super('unavailable', `no free media port on ${host} in ${range.min}-${range.max}${detail ? ` (${detail})` : ''}`);
  }
}

/** All 9,999 stream numbers of a kind and realm are in use somewhere in the deployment. */
export class SsrcExhaustedError extends AppError {
  constructor(
    readonly kind: 'live' | 'history',
    readonly realmDigits: string,
  ) {
    super('unavailable', `no free ${kind} SSRC left for realm ${realmDigits}`);
  }
}

/** A renewal came too late: the lease expired and someone else holds the key now. */
export class LeaseLostError extends AppError {
  constructor(readonly key: string) {
    super('conflict', `lease ${key} was lost (expired and taken by another owner)`);
  }
}
