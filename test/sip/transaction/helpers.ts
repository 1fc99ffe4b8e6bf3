import dgram from 'node:dgram';
import { createLogger, silentLogger } from '../../../src/logger';
import type { Logger } from '../../../src/logger';

/** TEST_LOG_LEVEL=debug shows what the endpoints log while a test runs. */
function testLogger(): Logger {
  const level = process.env.TEST_LOG_LEVEL;
  return level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? createLogger({ level, name: 'test' }) : silentLogger();
}
import { createRequest, createResponse, generateCallId, generateTag, parseSipMessage, serializeSipMessage } from '../../../src/sip/message';
import type { SipMessage, SipPeer, SipRequest, SipResponse } from '../../../src/sip/message/types';
import { createSipTransport } from '../../../src/sip/transport';
import type { SipTransport } from '../../../src/sip/transport/types';
import { SipEndpoint, type ServerTransactionContext, type SipEndpointOptions } from '../../../src/sip/transaction';

/** Short RFC 3261 timers so retransmission and timeout tests run in well under a second. */
export const FAST_TIMERS = { t1Ms: 20, t2Ms: 80, t4Ms: 50 };

export interface TestNode {
  endpoint: SipEndpoint;
  transport: SipTransport;
  /** How another node reaches this one. */
  peer(transport: SipPeer['transport']): SipPeer;
  /** Requests handed to onRequest, in order. */
  requests: Array<{ request: SipRequest; ctx: ServerTransactionContext }>;
  close(): Promise<void>;
}

export async function startNode(
  opts: Partial<Omit<SipEndpointOptions, 'transport' | 'logger'>> = {},
): Promise<TestNode> {
  let endpoint: SipEndpoint | null = null;
  const transport = await createSipTransport({
    host: '127.0.0.1',
    port: 0,
    udp: true,
    tcp: true,
    logger: silentLogger(),
    onMessage: (inbound) => endpoint?.handleInbound(inbound),
  });
  const requests: TestNode['requests'] = [];
  const onRequest = opts.onRequest;
  endpoint = new SipEndpoint({
    timers: FAST_TIMERS,
    ...opts,
    transport,
    logger: testLogger(),
    onRequest: (request, ctx) => {
      requests.push({ request, ctx });
      if (onRequest !== undefined) onRequest(request, ctx);
    },
  });
  const ep = endpoint;
  return {
    endpoint: ep,
    transport,
    requests,
    peer: (t) => ({ transport: t, address: '127.0.0.1', port: transport.localAddress(t).port }),
    close: async () => {
      await ep.close();
      await transport.close();
    },
  };
}

/** An out-of-dialog request as a platform or device would build it (the endpoint adds Via and Max-Forwards). */
export function makeRequest(
  method: string,
  target: SipPeer,
  extra: { headers?: Array<[string, string]>; body?: Buffer; cseq?: number; callId?: string } = {},
): SipRequest {
  const uri = `sip:34020000001320000001@${target.address}:${target.port}`;
  return createRequest({
    method,
    uri,
    headers: [
      ['From', `<sip:34020000002000000001@3402000000>;tag=${generateTag()}`],
      ['To', `<${uri}>`],
      ['Call-ID', extra.callId ?? generateCallId('127.0.0.1')],
      ['CSeq', `${extra.cseq ?? 1} ${method}`],
      ['Contact', '<sip:34020000002000000001@127.0.0.1:5060>'],
      ...(extra.headers ?? []),
    ],
    body: extra.body,
  });
}

/**
 * A raw UDP socket playing a peer that the endpoint under test knows nothing about: it sends what
 * the test writes, however wrong, and records everything it receives.
 */
export class RawUdpPeer {
  private readonly received: Array<{ message: SipMessage; from: { address: string; port: number } }> = [];
  private readonly consumed = new Set<number>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (buf, rinfo) => {
      const parsed = parseSipMessage(buf);
      if (!parsed.ok) return;
      this.received.push({ message: parsed.message, from: { address: rinfo.address, port: rinfo.port } });
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  static async open(): Promise<RawUdpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RawUdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** How the endpoint under test addresses this socket. */
  get peer(): SipPeer {
    return { transport: 'udp', address: '127.0.0.1', port: this.port };
  }

  send(message: SipMessage | Buffer, to: SipPeer): Promise<void> {
    const buf = Buffer.isBuffer(message) ? message : serializeSipMessage(message);
    return new Promise((resolve, reject) => this.socket.send(buf, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  /** Every message received so far that matches. */
  all(match: (m: SipMessage) => boolean): SipMessage[] {
    return this.received.filter((r) => match(r.message)).map((r) => r.message);
  }

  /** The first message not yet taken that matches, waiting up to timeoutMs for it. */
  async next<T extends SipMessage = SipMessage>(match: (m: SipMessage) => boolean, timeoutMs = 2000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((r, idx) => !this.consumed.has(idx) && match(r.message));
      if (i !== -1) {
        this.consumed.add(i);
        return (this.received[i] as { message: SipMessage }).message as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a SIP message on the raw socket');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** Messages of the same call as `m` (Call-ID). */
export const sameCall =
  (m: SipMessage) =>
  (x: SipMessage): boolean =>
    x.headers.get('call-id') === m.headers.get('call-id');

export const both =
  (a: (m: SipMessage) => boolean, b: (m: SipMessage) => boolean) =>
  (m: SipMessage): boolean =>
    a(m) && b(m);

export const isRequest =
  (method: string) =>
  (m: SipMessage): boolean =>
    m.type === 'request' && m.method === method;

export const isResponse =
  (status: number, method?: string) =>
  (m: SipMessage): boolean =>
    m.type === 'response' && m.status === status && (method === undefined || (m.headers.get('cseq') ?? '').endsWith(` ${method}`));

/** A response the raw peer sends back, built from what it received. */
export function answer(request: SipRequest, status: number, extra?: { headers?: Array<[string, string]>; body?: Buffer; toTag?: string }): SipResponse {
  return createResponse(request, status, undefined, extra);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function branchOf(message: SipMessage): string | undefined {
  const via = message.headers.get('via') ?? '';
  return /;branch=([^;,\s]+)/i.exec(via)?.[1];
}
