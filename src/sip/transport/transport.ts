import type { Logger } from '../../logger';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../message/parse';
import { serializeSipMessage } from '../message/serialize';
import type { SipMessage, SipPeer } from '../message/types';
import { InboundDispatcher } from './dispatch';
import { TcpEndpoint } from './tcp';
import { loadSipUdpAddon, NativeUdpEndpoint } from './native-udp';
import type { KeepaliveLane, SipTransport, SipTransportOptions } from './types';
import { DatagramReceiver, UdpEndpoint, type UdpSocketEndpoint } from './udp';

const DEFAULTS = {
  tcpIdleTimeoutMs: 10 * 60_000,
  tcpConnectTimeoutMs: 10_000,
  tcpMaxQueuedBytes: 4 * 1024 * 1024,
  udpReceiveBufferBytes: 4 * 1024 * 1024,
};

/** With port 0, the port UDP got may be taken for TCP; try again with another this many times. */
const EPHEMERAL_ATTEMPTS = 8;

/**
 * Binds UDP and TCP on the same port (UDP first, then TCP on the port UDP got) and returns the
 * transport. Rejects if the port cannot be had.
 */
export async function createSipTransport(options: SipTransportOptions): Promise<NodeSipTransport> {
  const useUdp = options.udp ?? true;
  const useTcp = options.tcp ?? true;
  if (!useUdp && !useTcp) throw new Error('createSipTransport: enable at least one of udp and tcp');
  const logger = options.logger;
  const dispatcher = new InboundDispatcher(logger, options.onMessage, options.onParseError);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;

  const receiver = new DatagramReceiver(dispatcher, maxMessageSize, options.shedDatagram);
  const receiveBufferBytes = options.udpReceiveBufferBytes ?? DEFAULTS.udpReceiveBufferBytes;
  const addon = options.nativeUdp === true ? loadSipUdpAddon() : null;
  if (addon !== null && 'error' in addon) {
    logger.warn({ err: addon.error }, 'native SIP UDP (gbvms-sip-udp) not built: Node.js reads UDP and JavaScript answers every keepalive');
  }
  const bindUdp = async (port: number): Promise<UdpSocketEndpoint> =>
    addon !== null && 'addon' in addon
      ? NativeUdpEndpoint.bind(addon.addon, { host: options.host, port, receiveBufferBytes, userAgent: options.userAgent ?? '', logger, receiver })
      : UdpEndpoint.bind({ host: options.host, port, receiveBufferBytes, logger, receiver });
  const listenTcp = (port: number): Promise<TcpEndpoint> =>
    TcpEndpoint.listen({
      host: options.host,
      port,
      maxMessageSize,
      idleTimeoutMs: options.tcpIdleTimeoutMs ?? DEFAULTS.tcpIdleTimeoutMs,
      connectTimeoutMs: options.tcpConnectTimeoutMs ?? DEFAULTS.tcpConnectTimeoutMs,
      maxQueuedBytes: options.tcpMaxQueuedBytes ?? DEFAULTS.tcpMaxQueuedBytes,
      logger,
      dispatcher,
    });

  const attempts = options.port === 0 && useUdp && useTcp ? EPHEMERAL_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const udp = useUdp ? await bindUdp(options.port) : null;
    try {
      const tcp = useTcp ? await listenTcp(udp?.port ?? options.port) : null;
      const transport = new NodeSipTransport(udp, tcp, options.advertisedHost ?? options.host, logger);
      logger.info({ host: options.host, port: udp?.port ?? tcp?.port, udp: useUdp, tcp: useTcp }, 'SIP transport listening');
      return transport;
    } catch (err) {
      await udp?.close();
      if (attempt >= attempts || !isAddressInUse(err)) throw err;
      logger.debug({ err, attempt }, 'SIP TCP port taken, trying another ephemeral port');
    }
  }
}

/** UDP + TCP behind one send(): serializes once, picks the socket by the peer's transport. */
export class NodeSipTransport implements SipTransport {
  private closing: Promise<void> | null = null;

  constructor(
    private readonly udp: UdpSocketEndpoint | null,
    private readonly tcp: TcpEndpoint | null,
    private readonly advertisedHost: string,
    private readonly logger: Logger,
  ) {}

  /** UDP never rejects (failures are logged); TCP rejects when no connection can be had or written. */
  send(message: SipMessage, peer: SipPeer): Promise<void> {
    return this.sendBytes(serializeSipMessage(message), peer);
  }

  sendBytes(bytes: Buffer, peer: SipPeer): Promise<void> {
    if (this.closing !== null) return Promise.reject(new Error('SIP transport is closed'));
    const endpoint = peer.transport === 'udp' ? this.udp : this.tcp;
    if (endpoint === null) return Promise.reject(new Error(`SIP transport has no ${peer.transport} socket`));
    return endpoint.send(bytes, peer.address, peer.port);
  }

  localAddress(transport: SipPeer['transport']): { host: string; port: number } {
    const endpoint = transport === 'udp' ? (this.udp ?? this.tcp) : (this.tcp ?? this.udp);
    return { host: this.advertisedHost, port: (endpoint as UdpSocketEndpoint | TcpEndpoint).port };
  }

  /** The keepalive lane when UDP is read natively; null with Node's socket. */
  get keepaliveLane(): KeepaliveLane | null {
    return this.udp instanceof NativeUdpEndpoint ? this.udp : null;
  }

  /** Open TCP connections (both directions). */
  get tcpConnectionCount(): number {
    return this.tcp?.connectionCount ?? 0;
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.udp?.close(), this.tcp?.close()]).then(() => {
      this.logger.info('SIP transport closed');
    });
    return this.closing;
  }
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE';
}
