export { SipEndpoint, createSipEndpoint, type DialogResult } from './endpoint';
export { Dialog, type DialogEvents, type DialogRequestOptions, type DialogUsage, type DialogRole } from './dialog';
export { SipTimeoutError, SipEndpointClosedError, SipDialogClosedError } from './errors';
export type { SipTimerOptions, SipTimers } from './timers';
export type {
  SipEndpointOptions,
  ServerTransactionContext,
  ResponseExtras,
  RequestOptions,
  InviteOptions,
  EndpointMetrics,
} from './types';
