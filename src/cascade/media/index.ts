/** Cascade media: an upper platform's INVITE answered, the channel sent to it as PS over RTP. */
export { CascadeMediaService, type CascadeMediaDeps, type CascadeMediaOptions } from './cascade-media-service';
export type { CascadeSessionView, CascadeEndReason } from './session';
export { readUpperOffer, type UpperOffer, type UpperOfferResult } from './upper-offer';
export { controlsFor } from './playback-controls';
