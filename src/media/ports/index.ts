/** Allocation of RTP receive ports and SSRCs, leased in the state store so nodes never collide. */
export { MediaPortPool } from './media-port-pool';
export type { MediaPortPoolOptions, MediaPortLease } from './media-port-pool';
export { SsrcAllocator } from './ssrc-allocator';
export { makeSsrc, ssrcToNumber, ssrcRealmDigits, isHistorySsrc, type SsrcKind } from './ssrc';
export type { SsrcAllocatorOptions, SsrcLease } from './ssrc-allocator';
export { MediaPortsExhaustedError, SsrcExhaustedError, LeaseLostError } from './errors';
export { checkPortBindable } from './bind-check';
export type { BindCheck } from './bind-check';
export type { LeaseHandle } from './lease';
