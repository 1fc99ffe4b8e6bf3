/**
 * A native SIP UDP endpoint (native/sip-udp) with a plain UDP client: what each datagram the
 * client sends became, an answer from the keepalive lane or a datagram handed to JavaScript.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { silentLogger } from '../../../src/logger';
import { floodWhileBusy as flood } from '../../helpers/udp-flood';
import { loadSipUdpAddon, NativeUdpEndpoint } from '../../../src/sip/transport/native-udp';

export const DEVICE_ID = '34020000001320000002';
export const USER_AGENT = 'gbvms-test';

type SipUdpAddon = Extract<ReturnType<typeof loadSipUdpAddon>, { addon: unknown }>['addon'];

/**
 * The addon: CI builds it (python3, make and g++ are there), so a missing build fails the test.
 * GBVMS_TEST_SIP_UDP_ADDON names another build of it (test/native/sanitized-addons.test.ts: under AddressSanitizer).
 */
export function requireAddon(): SipUdpAddon {
  const override = process.env.GBVMS_TEST_SIP_UDP_ADDON;
  if (override) return createRequire(import.meta.url)(override) as SipUdpAddon;
  const loaded = loadSipUdpAddon();
  if ('error' in loaded) assert.fail(`native/sip-udp is not built (npm ci builds it with node-gyp): ${loaded.error.message}`);
  return loaded.addon;
}

export type Outcome = { kind: 'answered'; bytes: Buffer } | { kind: 'forwarded'; bytes: Buffer; address: string; port: number } | { kind: 'nothing' };

export class LaneHarness {
  readonly client: Socket;
  private waiting: ((o: Outcome) => void) | null = null;
  readonly forwarded: Array<{ bytes: Buffer; address: string; port: number }> = [];

  private constructor(
    readonly endpoint: NativeUdpEndpoint,
    client: Socket,
    readonly host: string,
  ) {
    this.client = client;
  }

  static async open(host = '127.0.0.1'): Promise<LaneHarness> {
    const addon = requireAddon();
    let harness: LaneHarness | null = null;
    const receiver = { receive: (bytes: Buffer, address: string, port: number) => harness?.onForward(bytes, address, port) };
    const endpoint = NativeUdpEndpoint.bind(addon, { host, port: 0, receiveBufferBytes: 1 << 20, userAgent: USER_AGENT, logger: silentLogger(), receiver });
    const client = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => client.bind(0, host, () => resolve()));
    harness = new LaneHarness(endpoint, client, host);
    client.on('message', (bytes) => harness?.settle({ kind: 'answered', bytes }));
    return harness;
  }

  get clientPort(): number {
    return this.client.address().port;
  }

  private onForward(bytes: Buffer, address: string, port: number): void {
    const entry = { bytes, address, port };
    this.forwarded.push(entry);
    this.settle({ kind: 'forwarded', ...entry });
  }

  private settle(outcome: Outcome): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(outcome);
  }

  /** Sends one datagram and waits for what became of it (`nothing` after `waitMs`). */
  exchange(bytes: Buffer, waitMs = 1000): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ kind: 'nothing' }), waitMs);
      this.waiting = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      this.client.send(bytes, this.endpoint.port, this.host);
    });
  }

  admit(expiresInMs = 60_000, port = this.clientPort, deviceId = DEVICE_ID): void {
    this.endpoint.admit(deviceId, { transport: 'udp', address: this.host, port }, Date.now() + expiresInMs);
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    await new Promise<void>((resolve) => this.client.close(() => resolve()));
  }
}

/** A keepalive as the Dahua dome of the shared traces sends it (framing rebuilt, CRLF headers, LF body). */
export function keepalive(options: { via?: string; from?: string; to?: string; callId?: string; cseq?: string; extraHeaders?: string[]; body?: string } = {}): Buffer {
  const body =
    options.body ??
    `<?xml version="1.0" encoding="GB2312" ?>\n<Notify>\n    <CmdType>Keepalive</CmdType>\n    <SN>539</SN>\n    <DeviceID>${DEVICE_ID}</DeviceID>\n    <Status>OK</Status>\n</Notify>\n`;
  const bodyBytes = Buffer.from(body, 'latin1');
  const lines = [
    'MESSAGE sip:34020000002000000010@192.168.6.106:5062 SIP/2.0',
    `Via: ${options.via ?? 'SIP/2.0/UDP 192.168.6.71:5060;rport;branch=z9hG4bK677047196'}`,
    `From: ${options.from ?? `<sip:${DEVICE_ID}@192.168.6.71:5060>;tag=1166693770`}`,
    `To: ${options.to ?? '<sip:34020000002000000010@192.168.6.106:5062>'}`,
    `Call-ID: ${options.callId ?? '632317300@192.168.6.71'}`,
    `CSeq: ${options.cseq ?? '20 MESSAGE'}`,
    'Max-Forwards: 70',
    'User-Agent: SIP UAS V3.0.0.675168',
    'Content-Type: Application/MANSCDP+xml',
    ...(options.extraHeaders ?? []),
    `Content-Length: ${bodyBytes.length}`,
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bodyBytes]);
}

/** 60 MB of 60 kB datagrams to `port` while this thread spins: only the native reader's queue holds them. */
export function floodWhileBusy(port: number): Promise<void> {
  return flood({ port, datagrams: 1000, size: 60000, perTick: 10, tickMs: 2 });
}
