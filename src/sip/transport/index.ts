export * from './types';
export { createSipTransport, NodeSipTransport } from './transport';
export type { SipPeer } from '../message/types';
