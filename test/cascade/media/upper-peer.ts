/**
 * Test helper: an upper platform as the cascade media side sees it. Its SIP side is a
 * MiniRegistrar socket (answers our BYE and MESSAGE with 200, records everything) and MiniCall
 * for its INVITE/ACK/INFO/BYE, both with their own regex parsers; its media side is RtpSink
 * (UDP, TCP listen, TCP connect). Until cascade signaling routes INVITEs by itself, `routeInvites`
 * does what it will: hands INVITEs from this upper to app.cascadeMedia.handleInvite.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CascadeInviteTarget } from '../../../src/cascade/media-port';
import type { App } from '../../../src/app';
import { parseNameAddr } from '../../../src/sip/message';
import { MiniCall } from '../../sim/mini-invite';
import { header, MiniRegistrar, type MiniMessage, type Received } from '../../sim/mini-registrar';

export const UPPER_ID = '11000000002000000001';

/** How the upper receives: UDP, TCP where it listens (a=setup:passive), TCP where it connects (a=setup:active). */
export type UpperMedia = 'udp' | 'tcp-listen' | 'tcp-connect';

export interface OfferInit {
  session?: 'Play' | 'Playback' | 'Download';
  channelId: string;
  media: UpperMedia;
  port: number;
  ssrc: string;
  /** Unix seconds, Playback/Download. */
  start?: number;
  end?: number;
  downloadSpeed?: number;
}

/** The SDP an upper (WVP-style) sends in its INVITE. */
export function upperOffer(o: OfferInit): string {
  const session = o.session ?? 'Play';
  const tcp = o.media !== 'udp';
  return [
    'v=0',
    `o=${UPPER_ID} 0 0 IN IP4 127.0.0.1`,
    `s=${session}`,
    ...(session !== 'Play' ? [`u=${o.channelId}:0`] : []),
    'c=IN IP4 127.0.0.1',
    `t=${o.start ?? 0} ${o.end ?? 0}`,
    `m=video ${o.port} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96 97 98`,
    'a=recvonly',
    'a=rtpmap:96 PS/90000',
    'a=rtpmap:97 MPEG4/90000',
    'a=rtpmap:98 H264/90000',
    ...(tcp ? [`a=setup:${o.media === 'tcp-listen' ? 'passive' : 'active'}`, 'a=connection:new'] : []),
    ...(o.downloadSpeed !== undefined ? [`a=downloadspeed:${o.downloadSpeed}`] : []),
    `y=${o.ssrc}`,
    '',
  ].join('\r\n');
}

export class TestUpper {
  private constructor(
    readonly registrar: MiniRegistrar,
    private readonly sipPort: number,
  ) {}

  static async start(sipPort: number): Promise<TestUpper> {
    const registrar = new MiniRegistrar({ users: new Map() });
    await registrar.start();
    // MiniCall sends to a "binding": the platform under test, over UDP.
    registrar.bindings.set('platform', { transport: 'udp', address: '127.0.0.1', port: sipPort });
    return new TestUpper(registrar, sipPort);
  }

  /** Sends the INVITE; the caller reads responses, ACKs, BYEs with the returned MiniCall. */
  invite(channelId: string, sdp: string): MiniCall {
    return new MiniCall(this.registrar, { deviceId: 'platform', target: channelId, serverId: UPPER_ID, sdp }).send();
  }

  /** Requests the platform sent to this upper (BYE, MESSAGE) for one call. */
  requests(callId: string, method: string): Received[] {
    return this.registrar.received.filter((r) => r.message.method === method && header(r.message, 'call-id') === callId);
  }

  waitForRequest(callId: string, method: string, timeoutMs = 5000): Promise<Received> {
    const seen = this.requests(callId, method)[0];
    if (seen) return Promise.resolve(seen);
    return this.registrar.waitFor((r) => r.message.method === method && header(r.message, 'call-id') === callId, timeoutMs);
  }

  get port(): number {
    return this.sipPort;
  }

  close(): Promise<void> {
    return this.registrar.stop();
  }
}

/** What the signaling helper will do: INVITEs from UPPER_ID go to the cascade media handler. */
export function routeInvites(app: App, target: (channelId: string) => Omit<CascadeInviteTarget, 'upperId' | 'channelId'>): void {
  app.sip.addRequestHandler(async (request, ctx) => {
    if (request.method !== 'INVITE') return false;
    if (parseNameAddr(request.headers.get('from') ?? '')?.uri.user !== UPPER_ID) return false;
    const channelId = parseNameAddr(request.headers.get('to') ?? '')?.uri.user ?? '';
    await app.cascadeMedia.handleInvite(request, ctx, { upperId: UPPER_ID, channelId, ...target(channelId) });
    return true;
  }, ['INVITE']);
}

/** The m= port and a=setup of our answer. */
export function answerMedia(message: MiniMessage): { port: number; setup: string | null; ssrc: string | null; sendonly: boolean } {
  const text = message.body.toString('utf8');
  return {
    port: Number(/^m=video (\d+)/m.exec(text)?.[1] ?? 0),
    setup: /^a=setup:(\w+)/m.exec(text)?.[1] ?? null,
    ssrc: /^y=(\d+)/m.exec(text)?.[1] ?? null,
    sendonly: /^a=sendonly/m.test(text),
  };
}

/** ffprobe's reading of a PS dump (the RTP payloads back to back), as an upper's media server would get it. */
export function probePs(payloads: readonly Buffer[]): { streams: Array<{ codec_name: string; width?: number; height?: number; nb_read_frames?: string }>; format: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gbvms-cascade-'));
  const file = join(dir, 'upper.ps');
  writeFileSync(file, Buffer.concat(payloads));
  try {
    const out = execFileSync('ffprobe', ['-v', 'error', '-f', 'mpeg', '-show_streams', '-show_format', '-count_frames', '-of', 'json', file], { timeout: 30_000 });
    const parsed = JSON.parse(out.toString('utf8')) as { streams?: Array<{ codec_name: string }>; format?: { format_name: string } };
    return { streams: parsed.streams ?? [], format: parsed.format?.format_name ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
