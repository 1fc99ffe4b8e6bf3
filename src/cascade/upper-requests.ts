import { createRequest, formatHostPort, generateCallId, generateTag } from '../sip/message';
import type { SipPeer, SipRequest } from '../sip/message/types';
import type { PlatformIdentity } from '../sip/device/messenger';
import type { UpperPlatform } from './types';

/** Who we are towards one upper and where it is. */
export interface UpperAddressing {
  upper: UpperPlatform;
  /** Our ID towards it. */
  localId: string;
  /** Our signaling address (Contact). */
  platform: PlatformIdentity;
}

export function upperPeer(upper: UpperPlatform): SipPeer {
  return { transport: upper.transport, address: upper.host, port: upper.port };
}

/** `sip:<upperId>@host:port`: the Request-URI of everything we send it (and the digest uri). */
export function upperUri(upper: UpperPlatform): string {
  return `sip:${upper.upperId}@${formatHostPort(upper.host, upper.port)}`;
}

export function localAor(a: UpperAddressing): string {
  return `<sip:${a.localId}@${a.localId.slice(0, 10)}>`;
}

export function contactOf(a: UpperAddressing): string {
  const tcp = a.upper.transport === 'tcp' ? ';transport=tcp' : '';
  return `<sip:${a.localId}@${formatHostPort(a.platform.host, a.platform.port)}${tcp}>`;
}

/** A REGISTER of one registration dialog (same Call-ID and From tag; CSeq counts up). */
export function buildRegister(
  a: UpperAddressing,
  dialog: { callId: string; fromTag: string; cseq: number },
  expiresSec: number,
  authorization?: { header: 'Authorization' | 'Proxy-Authorization'; value: string },
): SipRequest {
  const headers: Array<[string, string]> = [
    ['From', `${localAor(a)};tag=${dialog.fromTag}`],
    ['To', localAor(a)],
    ['Call-ID', dialog.callId],
    ['CSeq', `${dialog.cseq} REGISTER`],
    ['Contact', contactOf(a)],
    ['Expires', String(expiresSec)],
  ];
  if (authorization !== undefined) headers.push([authorization.header, authorization.value]);
  return createRequest({ method: 'REGISTER', uri: upperUri(a.upper), headers });
}

/** A MANSCDP MESSAGE to the upper, outside any dialog. */
export function buildUpperMessage(a: UpperAddressing, body: Buffer): SipRequest {
  return createRequest({
    method: 'MESSAGE',
    uri: upperUri(a.upper),
    headers: [
      ['From', `${localAor(a)};tag=${generateTag()}`],
      ['To', `<sip:${a.upper.upperId}@${a.upper.domain}>`],
      ['Call-ID', generateCallId(a.platform.host)],
      ['CSeq', '1 MESSAGE'],
      ['Content-Type', 'Application/MANSCDP+xml'],
    ],
    body,
  });
}
