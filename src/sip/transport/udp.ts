import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { Logger } from '../../logger';
import { parseSipMessage } from '../message/parse';
import type { InboundDispatcher } from './dispatch';
import { normalizeAddress } from './dispatch';

export interface UdpEndpointOptions {
  host: string;
  port: number;
  receiveBufferBytes: number;
  logger: Logger;
  receiver: DatagramReceiver;
}

/** What the transport needs of a UDP socket, Node's (below) or native/sip-udp's (native-udp.ts). */
export interface UdpSocketEndpoint {
  readonly port: number;
  send(data: Buffer, address: string, port: number): Promise<void>;
  close(): Promise<void>;
}

/** Turns a datagram into a dispatched message: each datagram is one SIP message (RFC 3261 §18.3). */
export class DatagramReceiver {
  constructor(
    private readonly dispatcher: InboundDispatcher,
    private readonly maxMessageSize: number,
    private readonly shed: ((datagram: Buffer) => boolean) | undefined,
  ) {}

  receive(datagram: Buffer, address: string, port: number): void {
    if (isOnlyLineBreaks(datagram)) return; // keep-alive
    if (this.shed !== undefined && this.shed(datagram)) return;
    const peer = { transport: 'udp' as const, address: normalizeAddress(address), port };
    this.dispatcher.dispatch(parseSipMessage(datagram, { maxSize: this.maxMessageSize }), peer, datagram.length);
  }
}

/** One UDP socket read by Node.js. */
export class UdpEndpoint implements UdpSocketEndpoint {
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
    private readonly logger: Logger,
    /** An IPv6 socket reaches IPv4 peers only through their mapped form (plain IPv4 gives EINVAL). */
    private readonly mapIpv4: boolean,
  ) {}

  static async bind(options: UdpEndpointOptions): Promise<UdpEndpoint> {
    const socket = dgram.createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4', lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const { logger } = options;
    socket.on('error', (err) => logger.warn({ err }, 'SIP UDP socket error'));
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes);
      const granted = socket.getRecvBufferSize();
      if (granted < options.receiveBufferBytes) {
        // Linux caps it at net.core.rmem_max; a registration storm then drops datagrams.
        logger.info({ requested: options.receiveBufferBytes, granted }, 'SIP UDP receive buffer capped by the kernel (raise net.core.rmem_max)');
      }
    } catch (err) {
      logger.warn({ err, requested: options.receiveBufferBytes }, 'SIP UDP receive buffer not enlarged');
    }
    const { receiver } = options;
    socket.on('message', (datagram, rinfo) => receiver.receive(datagram, rinfo.address, rinfo.port));
    return new UdpEndpoint(socket, socket.address().port, logger, socket.address().family === 'IPv6');
  }

  send(data: Buffer, address: string, port: number): Promise<void> {
    const target = this.mapIpv4 && isIPv4(address) ? `::ffff:${address}` : address;
    return new Promise((resolve) => {
      try {
        this.socket.send(data, port, target, (err) => {
          if (err) this.logger.warn({ err, address, port }, 'SIP UDP send failed');
          resolve();
        });
      } catch (err) {
        this.logger.warn({ err, address, port }, 'SIP UDP send failed');
        resolve();
      }
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    return this.closed;
  }
}

/**
 * dgram resolves every destination with dns.lookup, which answers an IP literal on the next tick:
 * a tick and a closure per datagram sent. We send to IP literals (the addresses packets came
 * from), so those are answered at once; a host name still goes to DNS.
 */
function literalLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}

function isOnlyLineBreaks(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== 0x0d && b !== 0x0a) return false;
  }
  return true;
}
