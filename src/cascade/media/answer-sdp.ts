import { buildGbSdpAnswer } from '../../sip/sdp';
import type { UpperOffer } from './upper-offer';

/** RFC 4145: an active endpoint, which connects and never listens, writes the discard port. */
const ACTIVE_PORT = 9;

/**
 * The SDP of our 200 OK: we send (a=sendonly) PS with the upper's payload type and its own y=,
 * from our media address and port; over TCP our a=setup is the opposite of its own.
 */
export function upperAnswerSdp(offer: UpperOffer, answer: { channelId: string; address: string; port: number; ssrc: string }): string {
  const tcp = offer.transport !== 'udp';
  return buildGbSdpAnswer({
    sessionName: offer.session,
    username: answer.channelId,
    address: answer.address,
    port: offer.transport === 'tcp-active' ? ACTIVE_PORT : answer.port,
    transport: tcp ? 'tcp' : 'udp',
    ...(tcp ? { setup: offer.transport === 'tcp-active' ? 'active' : 'passive' } : {}),
    startTime: Math.floor(offer.start / 1000),
    endTime: Math.floor(offer.end / 1000),
    payload: { pt: offer.payloadType, encoding: 'PS', clockRate: 90000 },
    ssrc: answer.ssrc,
  });
}
