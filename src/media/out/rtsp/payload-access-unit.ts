import { splitAnnexB } from '../../codec/annexb';
import type { AccessUnit } from '../../codec/types';
import { payloadAac, payloadG711 } from './audio-payloaders';
import { payloadH264 } from './h264-payloader';
import { payloadH265 } from './h265-payloader';
import type { RtpPayloadPiece } from './rtp-payload';
import type { SdpTrack } from './tracks';

/** The RTP payloads of an access unit on a track; none when the unit's codec is not the track's. */
export function payloadAccessUnit(track: SdpTrack, au: AccessUnit, maxPayload: number): RtpPayloadPiece[] {
  if (au.codec !== track.codec) return [];
  switch (au.codec) {
    case 'h264':
      return payloadH264(au.nalUnits ?? splitAnnexB(au.data), maxPayload);
    case 'h265':
      return payloadH265(au.nalUnits ?? splitAnnexB(au.data), maxPayload);
    case 'aac':
      return payloadAac(au.data, maxPayload);
    default:
      return payloadG711(au.data, maxPayload, track.channels);
  }
}
