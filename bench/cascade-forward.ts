/**
 * Cascade forwarding: N concurrent camera streams sent on to an upper platform as PS over RTP.
 *
 *   node --import tsx bench/cascade-forward.ts [--streams=50] [--seconds=20] [--bitrate=2000]
 *        [--forward=udp|tcp] [--micro=true]
 *
 * The server runs in a child process (this file with --role=server: the real App, plus the SIP
 * route cascade signaling will install, handing INVITEs from the bench upper to
 * app.cascadeMedia). Cameras are the simulator fleet (720p H.264, 25 fps, ~2 Mbit/s, PS over
 * RTP/UDP). Phase 1 starts every stream through the API with no viewer and measures the
 * server's CPU; phase 2 has the upper INVITE every channel (one forwarding each, to one UDP
 * socket or TCP listener per stream in this process) and measures again. The difference over N
 * is the CPU a forwarded stream costs. The upper counts packets, bytes, frames (marker bits)
 * and sequence gaps per stream.
 *
 * --micro=true instead compares, in this process and without sockets, what the two ways of
 * forwarding cost per stream: re-muxing access units into PS/RTP (what the media node does) and
 * relaying the camera's RTP packets with a new SSRC, sequence number and timestamp.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SimFleet } from '../test/sim/fleet';
import { loadSimClip } from '../test/sim/media-clip';
import { MiniCall } from '../test/sim/mini-invite';
import { MiniRegistrar } from '../test/sim/mini-registrar';
import { freePort } from '../test/helpers/ports';
import type { AccessUnit } from '../src/media/codec/types';
import { RtpTcpFramer } from '../src/media/rtp/tcp-framer';
import { arg, BENCH_PLATFORM, mediaEnv, startServerProcess } from './lib/server-process';

const { id: PLATFORM_ID, domain: DOMAIN, password: PASSWORD, token: TOKEN } = BENCH_PLATFORM;
const UPPER_ID = '11000000002000000001';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the server process -------------------------------------------------------------------------

async function runServer(): Promise<void> {
  const { loadConfig } = await import('../config');
  const { App } = await import('../src/app');
  const { createLogger } = await import('../src/logger');
  const { parseNameAddr } = await import('../src/sip/message');
  const config = loadConfig();
  const app = await App.start(config, { logger: createLogger({ level: config.log.level }) });
  app.sip.addRequestHandler(async (request, ctx) => {
    if (request.method !== 'INVITE' || parseNameAddr(request.headers.get('from') ?? '')?.uri.user !== UPPER_ID) return false;
    const channelId = parseNameAddr(request.headers.get('to') ?? '')?.uri.user ?? '';
    const channel = await app.index.getChannel(channelId);
    await app.cascadeMedia.handleInvite(request, ctx, { upperId: UPPER_ID, channelId, deviceId: channel?.deviceId ?? channelId, recordSource: 'platform' });
    return true;
  }, ['INVITE']);
  process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
}

// --- the upper's receivers ----------------------------------------------------------------------

/** One forwarded stream at the upper: counts what arrives and the gaps in the sequence. */
class Receiver {
  packets = 0;
  bytes = 0;
  frames = 0;
  gaps = 0;
  private lastSeq = -1;
  private udp: UdpSocket | null = null;
  private server: Server | null = null;
  private socket: Socket | null = null;
  port = 0;

  static async udp(): Promise<Receiver> {
    const r = new Receiver();
    const socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    r.udp = socket;
    socket.on('message', (m) => r.onPacket(m));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    r.port = socket.address().port;
    return r;
  }

  static async tcp(): Promise<Receiver> {
    const r = new Receiver();
    const server = createServer((socket) => {
      r.socket = socket;
      const framer = new RtpTcpFramer({ onPacket: (p) => r.onPacket(p) });
      socket.on('data', (c: Buffer) => framer.push(c));
      socket.on('error', () => undefined);
    });
    r.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    r.port = typeof address === 'object' && address ? address.port : 0;
    return r;
  }

  private onPacket(p: Buffer): void {
    if (p.length < 12) return;
    this.packets++;
    this.bytes += p.length;
    if ((p[1] ?? 0) & 0x80) this.frames++;
    const seq = p.readUInt16BE(2);
    if (this.lastSeq >= 0 && seq !== ((this.lastSeq + 1) & 0xffff)) this.gaps++;
    this.lastSeq = seq;
  }

  close(): void {
    this.udp?.close();
    this.socket?.destroy();
    this.server?.close();
  }
}

function offer(channelId: string, port: number, tcp: boolean, i: number): string {
  return [
    'v=0',
    `o=${UPPER_ID} 0 0 IN IP4 127.0.0.1`,
    's=Play',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=video ${port} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96`,
    'a=recvonly',
    'a=rtpmap:96 PS/90000',
    ...(tcp ? ['a=setup:passive', 'a=connection:new'] : []),
    `y=01100${String(i).padStart(5, '0')}`,
    '',
  ].join('\r\n');
}

// --- end to end ---------------------------------------------------------------------------------

async function endToEnd(): Promise<void> {
  const streams = Number(arg('streams', '50'));
  const seconds = Number(arg('seconds', '20'));
  const bitrate = Number(arg('bitrate', '2000'));
  const tcp = arg('forward', 'udp') === 'tcp';
  const sipPort = await freePort();
  const httpPort = await freePort();
  const server = await startServerProcess(
    { ...(await mediaEnv(sipPort, httpPort, [42000, 43999])), GBVMS_LIVE_TRANSPORT: 'udp' },
    [fileURLToPath(import.meta.url), '--role=server'],
  );
  const cameras = new SimFleet({
    count: streams,
    server: { host: '127.0.0.1', port: sipPort, id: PLATFORM_ID, domain: DOMAIN },
    transport: 'udp',
    password: PASSWORD,
    deviceIdFor: (i) => `44030000001320${String(i).padStart(3, '0')}000`,
    device: { recordReceived: false, media: { bitrateKbps: bitrate, pacing: 'burst' } },
  });
  const upper = new MiniRegistrar({ users: new Map() });
  const receivers: Receiver[] = [];
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${httpPort}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  try {
    await upper.start();
    upper.bindings.set('platform', { transport: 'udp', address: '127.0.0.1', port: sipPort });
    await cameras.start();
    await cameras.prepareMedia();
    const reg = await cameras.registerAll({ concurrency: 50 });
    if (reg.ok !== streams) throw new Error(`registration failed: ${JSON.stringify(reg.byStatus)}`);
    const channels = cameras.devices.map((d) => d.channelIds[0] ?? d.deviceId);
    for (const channelId of channels) {
      for (let i = 0; (await api(`/channels/${channelId}`)).status !== 200; i++) {
        if (i > 200) throw new Error(`channel ${channelId} never stored`);
        await sleep(50);
      }
    }
    const measure = async (): Promise<number> => {
      await sleep(3000);
      const cpu0 = server.cpuSeconds();
      const t0 = performance.now();
      await sleep(seconds * 1000);
      return (server.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
    };
    const idle = await measure();

    // Phase 1: the streams run (received, demuxed) with nobody watching.
    for (const channelId of channels) {
      const res = await api(`/channels/${channelId}/live`, { method: 'POST', body: JSON.stringify({ transport: 'udp' }) });
      if (res.status !== 200) throw new Error(`live ${channelId}: ${res.status} ${await res.text()}`);
    }
    const live = await measure();

    // Phase 2: the upper INVITEs every channel: one forwarding per stream.
    const failures: string[] = [];
    for (const [i, channelId] of channels.entries()) {
      const receiver = tcp ? await Receiver.tcp() : await Receiver.udp();
      receivers.push(receiver);
      const call = new MiniCall(upper, { deviceId: 'platform', target: channelId, serverId: UPPER_ID, sdp: offer(channelId, receiver.port, tcp, i) }).send();
      const answer = await call.response(undefined, 20000);
      if (answer.status !== 200) failures.push(`${channelId}: ${answer.status}`);
      else call.ack();
      call.close();
    }
    await sleep(2000);
    const base = receivers.map((r) => ({ packets: r.packets, bytes: r.bytes, frames: r.frames, gaps: r.gaps }));
    const t0 = performance.now();
    const forwarded = await measure();
    const window = (performance.now() - t0) / 1000;
    const sum = (f: 'packets' | 'bytes' | 'frames' | 'gaps') => receivers.reduce((n, r, i) => n + r[f] - (base[i]?.[f] ?? 0), 0);
    const perStream = ((forwarded - live) * 100) / streams;
    console.log(
      [
        `streams: ${streams} cameras, 1280x720 H.264 25 fps ~${bitrate} kbit/s, PS/RTP over UDP in; forwarded to the upper over ${tcp ? 'TCP (we connect)' : 'UDP'}; windows of ${seconds} s`,
        `server CPU: idle ${(idle * 100).toFixed(1)}%, ${streams} streams received ${(live * 100).toFixed(1)}%, and forwarded ${(forwarded * 100).toFixed(1)}% of one core`,
        `=> forwarding costs ${perStream.toFixed(3)}% of one core per stream (receiving costs ${(((live - idle) * 100) / streams).toFixed(3)}%)`,
        `at the upper (from 2 s after the INVITEs, ${window.toFixed(1)} s): ${(sum('frames') / window / streams).toFixed(1)} frames/s per stream, ${((sum('bytes') * 8) / 1e6 / window).toFixed(0)} Mbit/s in all, ${sum('packets')} packets, ${sum('gaps')} sequence gaps`,
        ...(failures.length > 0 ? [`INVITE failures (${failures.length}): ${failures.slice(0, 5).join('; ')}`] : []),
      ].join('\n'),
    );
  } finally {
    for (const r of receivers) r.close();
    await cameras.stop();
    await upper.stop();
    await server.stop();
  }
}

// --- re-mux or relay: the work per stream without sockets ----------------------------------------

async function micro(): Promise<void> {
  const { PsDemuxer } = await import('../src/media/ps/demuxer');
  const { PsRtpPacker } = await import('../src/media/forward/ps-rtp-packer');
  const { SlabAllocator } = await import('../src/media/ps/slab-allocator');
  const bitrate = Number(arg('bitrate', '2000'));
  const clip = await loadSimClip({ bitrateKbps: bitrate });
  const units: AccessUnit[] = [];
  const demuxer = new PsDemuxer({ onFrame: (au) => units.push(au) });
  for (const p of clip.packets) demuxer.push(p.payload, p.timestamp, p.marker);
  demuxer.flush();
  const tracks = { video: { kind: 'video' as const, codec: 'h264' as const, width: 1280, height: 720, profile: 100, level: 31, sps: Buffer.alloc(4), pps: Buffer.alloc(4) } };
  const loops = Math.max(20, Math.round(600_000 / clip.durationMs)); // ten minutes of media
  const mediaSeconds = (loops * clip.durationMs) / 1000;

  const remux = (): number => {
    const packer = new PsRtpPacker({ ssrc: 1, tcpFraming: false });
    packer.setTracks(tracks);
    const t0 = process.cpuUsage();
    let sink = 0;
    for (let l = 0; l < loops; l++) {
      const shift = l * clip.durationTicks;
      for (const au of units) sink += packer.pack({ ...au, pts: au.pts + shift, dts: au.dts + shift })?.packets ?? 0;
    }
    const used = process.cpuUsage(t0);
    if (sink === 0) throw new Error('nothing packed');
    return (used.user + used.system) / 1e6;
  };

  // A relay: each incoming packet is copied with our header (the received buffer also feeds the
  // demuxer and other receivers, so it cannot be rewritten in place) into slab memory.
  const relay = (): number => {
    const slab = new SlabAllocator(1024 * 1024);
    const t0 = process.cpuUsage();
    let seq = 0;
    let sink = 0;
    for (let l = 0; l < loops; l++) {
      const shift = l * clip.durationTicks;
      for (const p of clip.packets) {
        const out = slab.allocate(12 + p.payload.length);
        out[0] = 0x80;
        out[1] = (p.marker ? 0x80 : 0) | 96;
        out.writeUInt16BE(seq, 2);
        out.writeUInt32BE((p.timestamp + shift) % 2 ** 32, 4);
        out.writeUInt32BE(1, 8);
        p.payload.copy(out, 12);
        seq = (seq + 1) & 0xffff;
        sink += out.length;
      }
    }
    const used = process.cpuUsage(t0);
    if (sink === 0) throw new Error('nothing relayed');
    return (used.user + used.system) / 1e6;
  };

  remux();
  relay();
  const r1 = Math.min(remux(), remux(), remux());
  const r2 = Math.min(relay(), relay(), relay());
  const pct = (cpu: number) => ((cpu / mediaSeconds) * 100).toFixed(4);
  console.log(
    [
      `clip: 1280x720 H.264 ~${bitrate} kbit/s, ${clip.packets.length} packets per ${clip.durationMs / 1000} s loop; ${mediaSeconds.toFixed(0)} s of media per run, best of 3`,
      `re-mux (access units -> PS pack -> RTP, what the media node does): ${(r1 * 1000).toFixed(0)} ms CPU = ${pct(r1)}% of one core per stream`,
      `relay (copy each camera packet with a new SSRC/seq/timestamp):    ${(r2 * 1000).toFixed(0)} ms CPU = ${pct(r2)}% of one core per stream`,
      'sockets (one send per packet, the same count either way) are not included: see the end-to-end run',
    ].join('\n'),
  );
}

const role = arg('role', 'bench');
const run = role === 'server' ? runServer : arg('micro', 'false') === 'true' ? micro : endToEnd;
run().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
