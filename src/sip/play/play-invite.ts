import { createRequest, formatHostPort, generateCallId, generateTag } from '../message';
import type { SipPeer, SipRequest } from '../message/types';
import { buildGbSdp } from '../sdp';
import type { PlatformIdentity } from '../device/messenger';
import type { RtpTransport } from '../../media/node/types';

export interface PlayInviteInput {
  platform: PlatformIdentity;
  channelId: string;
  /** Where the device's signaling comes from (received/rport). */
  peer: SipPeer;
  /** Our RTP receive address and port for the SDP. */
  mediaAddress: string;
  mediaPort: number;
  transport: RtpTransport;
  /** y= digits. */
  ssrc: string;
  /** Device recordings (s=Playback / s=Download) instead of live view. */
  history?: { session: 'Playback' | 'Download'; start: number; end: number; downloadSpeed?: number };
}

/**
 * The INVITE for live view (GB/T 28181-2022 9.2: s=Play) or for a device's recordings (9.8/9.9:
 * s=Playback or s=Download with u= and t=): the transport asked, y= with our SSRC, and the Subject `<channel>:<ssrc>,<platform>:0` that devices and NVRs use to tell sessions apart.
 */
export function buildPlayInvite(input: PlayInviteInput): SipRequest {
  const { platform, channelId, peer } = input;
  const history = input.history;
  const sdp = buildGbSdp({
    sessionName: history?.session ?? 'Play',
    ...(history !== undefined
      ? {
          uri: `${channelId}:0`,
          startTime: Math.floor(history.start / 1000),
          endTime: Math.ceil(history.end / 1000),
          ...(history.downloadSpeed !== undefined ? { downloadSpeed: history.downloadSpeed } : {}),
        }
      : {}),
    username: platform.id,
    address: input.mediaAddress,
    port: input.mediaPort,
    transport: input.transport === 'udp' ? 'udp' : 'tcp',
    ...(input.transport === 'udp' ? {} : { setup: input.transport === 'tcp-active' ? ('active' as const) : ('passive' as const) }),
    ssrc: input.ssrc,
  });
  return createRequest({
    method: 'INVITE',
    uri: `sip:${channelId}@${formatHostPort(peer.address, peer.port)}`,
    headers: [
      ['From', `<sip:${platform.id}@${platform.domain}>;tag=${generateTag()}`],
      ['To', `<sip:${channelId}@${platform.domain}>`],
      ['Call-ID', generateCallId(platform.host)],
      ['CSeq', '1 INVITE'],
      ['Contact', `<sip:${platform.id}@${formatHostPort(platform.host, platform.port)}>`],
      ['Subject', `${channelId}:${input.ssrc},${platform.id}:0`],
      ['Content-Type', 'APPLICATION/SDP'],
    ],
    body: Buffer.from(sdp, 'latin1'),
  });
}
