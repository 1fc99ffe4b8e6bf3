import { buildXml, encodeXmlBody } from '../../sip/manscdp';
import { createRequest, formatHostPort, generateTag, parseNameAddr } from '../../sip/message';
import type { SipRequest } from '../../sip/message/types';
import type { Dialog } from '../../sip/transaction';
import type { PlatformIdentity } from '../../sip/device/messenger';

/**
 * `Notify MediaStatus 121` (end of file, GB/T 28181 9.8.2) for a Playback/Download we send to an
 * upper: a MESSAGE outside the dialog, as devices send it, but with the dialog's Call-ID, which
 * is how common platforms (WVP) find the session it ends. DeviceID is the channel as the upper
 * named it in its INVITE.
 */
export function mediaStatusRequest(dialog: Dialog, platform: PlatformIdentity, channelId: string, sn: number, charset = 'GB2312'): SipRequest {
  const xml = buildXml(
    {
      name: 'Notify',
      children: [
        { name: 'CmdType', text: 'MediaStatus' },
        { name: 'SN', text: sn },
        { name: 'DeviceID', text: channelId },
        { name: 'NotifyType', text: '121' },
      ],
    },
    charset,
  );
  const upper = parseNameAddr(dialog.remoteAddress);
  const upperUser = upper?.uri.user ?? '';
  const upperUri = upper !== null && upper.uriText !== '' ? upper.uriText : `sip:${upperUser}@${formatHostPort(dialog.peer.address, dialog.peer.port)}`;
  return createRequest({
    method: 'MESSAGE',
    uri: `sip:${upperUser}@${formatHostPort(dialog.peer.address, dialog.peer.port)}`,
    headers: [
      ['From', `<sip:${platform.id}@${platform.domain}>;tag=${generateTag()}`],
      ['To', `<${upperUri}>`],
      ['Call-ID', dialog.callId],
      ['CSeq', `${sn} MESSAGE`],
      ['Content-Type', 'Application/MANSCDP+xml'],
    ],
    body: encodeXmlBody(xml, charset),
  });
}
