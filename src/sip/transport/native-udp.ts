import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../logger';
import type { SipPeer } from '../message/types';
import type { KeepaliveLane, LaneKeepalive } from './types';
import type { DatagramReceiver, UdpSocketEndpoint } from './udp';

/** The functions of native/sip-udp (src/addon.c); `handle` is the endpoint it opened. */
interface SipUdpAddon {
  open(host: string, port: number, ipv6: boolean, receiveBufferBytes: number, userAgent: string, onDatagram: (datagram: Buffer, address: string, port: number) => void): SipUdpHandle;
  info(handle: SipUdpHandle): { port: number; receiveBufferBytes: number; answered: number; forwarded: number; dropped: number; admitted: number };
  /** 0 when sent, else the errno code name. */
  send(handle: SipUdpHandle, data: Buffer, address: string, port: number): 0 | string;
  admit(handle: SipUdpHandle, deviceId: string, address: string, port: number, expiresAt: number): void;
  revoke(handle: SipUdpHandle, deviceId: string): void;
  /** [deviceId, at, deviceId, at, ...] */
  takeSeen(handle: SipUdpHandle): Array<string | number>;
  close(handle: SipUdpHandle): void;
}

declare const sipUdpHandle: unique symbol;
type SipUdpHandle = { readonly [sipUdpHandle]: true };

let loaded: { addon: SipUdpAddon } | { error: Error } | null = null;

/** The addon, or why it cannot be had (not built: no compiler at install, or not Linux). */
export function loadSipUdpAddon(): { addon: SipUdpAddon } | { error: Error } {
  if (loaded === null) {
    try {
      loaded = { addon: createRequire(import.meta.url)('gbvms-sip-udp') as SipUdpAddon };
    } catch (err) {
      loaded = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  return loaded;
}

export interface NativeUdpEndpointOptions {
  host: string;
  port: number;
  receiveBufferBytes: number;
  /** Put on the keepalive answers, as the JS stack puts it on its own. */
  userAgent: string;
  logger: Logger;
  /** Gets every datagram the lane does not answer, on the main thread. */
  receiver: Pick<DatagramReceiver, 'receive'>;
}

/**
 * The SIP UDP socket of native/sip-udp: a thread of its own reads it, answers the plain
 * keepalives of admitted devices itself (the keepalive lane) and hands every other datagram to
 * `receiver` on the main thread (ADR 0021).
 */
export class NativeUdpEndpoint implements UdpSocketEndpoint, KeepaliveLane {
  private closed = false;

  private constructor(
    private readonly addon: SipUdpAddon,
    private readonly handle: SipUdpHandle,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static bind(addon: SipUdpAddon, options: NativeUdpEndpointOptions): NativeUdpEndpoint {
    const { receiver, logger } = options;
    const handle = addon.open(options.host, options.port, isIPv6(options.host), options.receiveBufferBytes, options.userAgent, (datagram, address, port) =>
      receiver.receive(datagram, address, port),
    );
    const info = addon.info(handle);
    if (info.receiveBufferBytes < options.receiveBufferBytes) {
      logger.info({ requested: options.receiveBufferBytes, granted: info.receiveBufferBytes }, 'SIP UDP receive buffer capped by the kernel (raise net.core.rmem_max)');
    }
    return new NativeUdpEndpoint(addon, handle, info.port, logger);
  }

  send(data: Buffer, address: string, port: number): Promise<void> {
    const outcome = this.closed ? 'EBADF' : this.addon.send(this.handle, data, address, port);
    if (outcome !== 0) this.logger.warn({ code: outcome, address, port }, 'SIP UDP send failed');
    return Promise.resolve();
  }

  /** Best effort: a device the lane cannot take (an address it cannot hold) is simply left to the JS stack. */
  admit(deviceId: string, peer: SipPeer, expiresAt: number): void {
    if (this.closed || peer.transport !== 'udp') return;
    try {
      this.addon.admit(this.handle, deviceId, peer.address, peer.port, expiresAt);
    } catch (err) {
      this.logger.debug({ err, deviceId, peer }, 'device not admitted to the keepalive lane');
    }
  }

  revoke(deviceId: string): void {
    if (!this.closed) this.addon.revoke(this.handle, deviceId);
  }

  takeSeen(): LaneKeepalive[] {
    if (this.closed) return [];
    const flat = this.addon.takeSeen(this.handle);
    const seen: LaneKeepalive[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) seen.push({ deviceId: String(flat[i]), at: Number(flat[i + 1]) });
    return seen;
  }

  stats(): { answered: number; forwarded: number; dropped: number; admitted: number } {
    const { answered, forwarded, dropped, admitted } = this.addon.info(this.handle);
    return { answered, forwarded, dropped, admitted };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }
}
