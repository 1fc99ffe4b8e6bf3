/** Cascade signaling: gbvms as a lower platform of upper platforms (ADR 0016). */
export { CascadeService, type CascadeDeps, type UpperView } from './cascade-service';
export { configuredUppers } from './config-seed';
export { createUpperStore, type UpperStore } from './store';
export type { CascadeAlarm } from './alarm-notify';
export type { LinkState, LinkStatus } from './link-status';
export type { UpperPlatform, UpperPlatformInput, UpperPlatformPatch, UpperShare, UpperShareInput, ShareKind } from './types';
