/**
 * Test helper for the simulator's live-view tests: a MiniRegistrar, devices registered with it,
 * offers written with src/sip/sdp's buildGbSdp (what the platform sends), and cleanup.
 */
import { buildGbSdp } from '../../src/sip/sdp';
import { SimDevice } from './device';
import { MiniCall } from './mini-invite';
import { MiniRegistrar } from './mini-registrar';
import type { RtpSink } from './rtp-sink';
import type { SimDeviceOptions, SimMediaOptions } from './types';

export const SERVER_ID = '34020000002000000001';
const PASSWORD = '12345678';

/** Small and quick to encode: 640x360, 1 Mbit/s, a 1 s clip of one GOP (it loops after 25 frames). */
export const SMALL_MEDIA: SimMediaOptions = { width: 640, height: 360, bitrateKbps: 1000, clipSeconds: 1, gopFrames: 25 };

export interface OfferOptions {
  transport?: 'udp' | 'tcp';
  setup?: 'active' | 'passive';
  ssrc?: string;
}

export function offer(port: number, o: OfferOptions = {}): string {
  return buildGbSdp({
    sessionName: 'Play',
    username: SERVER_ID,
    address: '127.0.0.1',
    port,
    transport: o.transport ?? 'udp',
    ...(o.setup ? { setup: o.setup } : {}),
    ssrc: o.ssrc ?? '0100000001',
  });
}

export interface HistoryOfferOptions extends OfferOptions {
  session: 'Playback' | 'Download';
  channelId: string;
  /** Unix seconds. */
  start: number;
  end: number;
  downloadSpeed?: number;
}

/** A Playback or Download offer (u=<channelId>:0, t=start end, a=downloadspeed for Download). */
export function historyOffer(port: number, o: HistoryOfferOptions): string {
  return buildGbSdp({
    sessionName: o.session,
    username: SERVER_ID,
    address: '127.0.0.1',
    port,
    transport: o.transport ?? 'udp',
    ...(o.setup ? { setup: o.setup } : {}),
    uri: `${o.channelId}:0`,
    startTime: o.start,
    endTime: o.end,
    ...(o.downloadSpeed !== undefined ? { downloadSpeed: o.downloadSpeed } : {}),
    ssrc: o.ssrc ?? '1100000001',
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class MediaHarness {
  readonly registrar: MiniRegistrar;
  private readonly devices: SimDevice[] = [];
  private readonly calls: MiniCall[] = [];
  private readonly sinks: RtpSink[] = [];

  constructor(deviceIds: readonly string[]) {
    this.registrar = new MiniRegistrar({ users: new Map(deviceIds.map((id) => [id, PASSWORD])) });
  }

  start(): Promise<void> {
    return this.registrar.start();
  }

  /** A started, registered device (UDP SIP unless `transport` says otherwise). */
  async device(options: Partial<SimDeviceOptions> & { deviceId: string }): Promise<SimDevice> {
    const transport = options.transport ?? 'udp';
    const d = new SimDevice({
      password: PASSWORD,
      server: { host: '127.0.0.1', port: transport === 'udp' ? this.registrar.udpPort : this.registrar.tcpPort, id: SERVER_ID, domain: '3402000000' },
      transport,
      kind: 'ipc',
      media: SMALL_MEDIA,
      ...options,
    });
    this.devices.push(d);
    await d.start();
    const registered = await d.register();
    if (registered.status !== 200) throw new Error(`register failed: ${registered.status}`);
    return d;
  }

  call(deviceId: string, target: string, sdp: string, toUser?: string): MiniCall {
    const call = new MiniCall(this.registrar, { deviceId, target, serverId: SERVER_ID, sdp, ...(toUser ? { toUser } : {}) });
    this.calls.push(call);
    return call;
  }

  sink<T extends RtpSink>(sink: T): T {
    this.sinks.push(sink);
    return sink;
  }

  async stop(): Promise<void> {
    for (const call of this.calls) call.close();
    await Promise.all(this.devices.map((d) => d.stop()));
    await Promise.all(this.sinks.map((s) => s.close()));
    await this.registrar.stop();
  }
}
