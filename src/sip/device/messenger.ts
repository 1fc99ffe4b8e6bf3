import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { IndexStore, Registration, StateStore } from '../../storage/ports';
import { encodeXmlBody, normalizeCharset } from '../manscdp';
import { createRequest, formatHostPort, generateCallId, generateTag } from '../message';
import type { SipPeer, SipResponse } from '../message/types';
import { SipTimeoutError, type SipEndpoint } from '../transaction';

export interface PlatformIdentity {
  id: string;
  domain: string;
  /** Host and port written into From/Contact. */
  host: string;
  port: number;
}

const DEFAULT_CHARSET = 'GB2312';

/**
 * Sends requests to a registered device at the address its packets come from (received/rport),
 * never at its Contact, which behind NAT or 4G is often unreachable. Bodies are encoded in the
 * device's charset: its configured one, else the one it last used towards us.
 */
export class DeviceMessenger {
  private readonly seenCharsets = new Map<string, string>();

  constructor(
    private readonly endpoint: SipEndpoint,
    private readonly index: IndexStore,
    private readonly state: StateStore,
    private readonly platform: PlatformIdentity,
    private readonly logger: Logger,
  ) {}

  /** Remembers the charset a device's own XML used, for our answers to it. */
  noteCharset(deviceId: string, charset: string): void {
    this.seenCharsets.set(deviceId, charset);
  }

  /** The registration of an online device and the charset to write to it, or an AppError the API can show. */
  async reachable(deviceId: string): Promise<{ registration: Registration; charset: string }> {
    const device = await this.index.getDevice(deviceId);
    if (!device) throw new AppError('not_found', `device ${deviceId} is not known`);
    const registration = await this.state.getRegistration(deviceId);
    if (!registration || !device.online) throw new AppError('device_offline', `device ${deviceId} is offline`);
    return { registration, charset: normalizeCharset(device.charset ?? this.seenCharsets.get(deviceId) ?? DEFAULT_CHARSET) };
  }

  /** Sends a MANSCDP MESSAGE and returns the device's SIP answer (2xx), mapping failures to AppError. */
  async sendManscdp(deviceId: string, xmlText: string): Promise<SipResponse> {
    const { registration: reg, charset } = await this.reachable(deviceId);
    const body = encodeXmlBody(xmlText, charset);
    const peer: SipPeer = { transport: reg.transport, address: reg.address, port: reg.port };
    const request = createRequest({
      method: 'MESSAGE',
      uri: `sip:${deviceId}@${formatHostPort(peer.address, peer.port)}`,
      headers: [
        ['From', `<sip:${this.platform.id}@${this.platform.domain}>;tag=${generateTag()}`],
        ['To', `<sip:${deviceId}@${this.platform.domain}>`],
        ['Call-ID', generateCallId(this.platform.host)],
        ['CSeq', '1 MESSAGE'],
        ['Content-Type', 'Application/MANSCDP+xml'],
      ],
      body,
    });
    let response: SipResponse;
    try {
      response = await this.endpoint.request(request, peer);
    } catch (err) {
      if (err instanceof SipTimeoutError) throw new AppError('device_timeout', `device ${deviceId} did not answer the MESSAGE`);
      this.logger.warn({ deviceId, err }, 'MESSAGE to device failed');
      throw new AppError('device_error', `could not send to device ${deviceId}: ${(err as Error).message}`);
    }
    if (response.status < 200 || response.status >= 300) {
      throw new AppError('device_error', `device ${deviceId} answered ${response.status} ${response.reason}`);
    }
    return response;
  }
}
