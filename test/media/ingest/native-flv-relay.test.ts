/**
 * native/rtp-recv's FLV relay over real sockets (ADR 0024): a camera sends PS over RTP over TCP
 * (RFC 4571) to a native listener whose relay serves HTTP-FLV viewers handed over to it, as
 * FlvViewers hands them. What a viewer gets is an FLV stream a player reads; a viewer that stops
 * reading is dropped without holding the others back; anything not plain makes the relay bail,
 * end its viewers and leave the stream to JavaScript. GBVMS_RTP_RECV_ADDON points at another
 * build of the addon (test/native/sanitized-addons.test.ts runs this file against a sanitizer build).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { NativeFlvRelay } from '../../../src/media/ingest/native-flv-relay';
import {
  loadRtpRecvAddon,
  NativeRtpReader,
  type NativeRtpSocket,
  type RelayLimits,
  type RelayState,
  type RelayViewerEndReason,
  type RtpTcpHandler,
} from '../../../src/media/ingest/native-rtp-recv';
import { RtpPsPacketizer } from '../../../src/media/ps/rtp-packetizer';
import { buildRtpPacket } from '../../../src/media/rtp/packet';
import { hasFfmpeg, probeBytes, readMedia } from '../helpers/media-files';
import { framesOf, muxFrames, type SourceFrame } from '../helpers/ps-stream';
import { delay, tcpConnect, waitFor, writeAll } from './helpers';

type Addon = ConstructorParameters<typeof NativeRtpReader>[0];

function whyNot(): string | false {
  if (!hasFfmpeg) return 'ffmpeg/ffprobe not installed';
  const loaded = loadRtpRecvAddon();
  if ('error' in loaded) return `native/rtp-recv is not built (cd native/rtp-recv && npm exec -- node-gyp rebuild): ${loaded.error.message}`;
  if (typeof loaded.addon.relay !== 'function') return 'this build of native/rtp-recv has no FLV relay';
  return false;
}

const skip = whyNot();

function addon(): Addon {
  const loaded = loadRtpRecvAddon();
  if ('error' in loaded) throw loaded.error;
  return loaded.addon;
}

const LIMITS: RelayLimits = { gopMaxFrames: 600, gopMaxBytes: 16 << 20, slowSkipBytes: 2 << 20, slowDropBytes: 8 << 20, stallMs: 10_000 };
const SSRC = 0x0bad_cafe;
const udpSenders: UdpSocket[] = [];
const FRAME_MS = 40;

// ---------------------------------------------------------------------------------------------
// Media

/** The 2 s 640x360 clip (50 frames at 25 fps; key frames at 0 and 25). */
let clip: SourceFrame[] = [];
/** Noise: a ~200 KB key frame and three ~117 KB others. */
let noise: SourceFrame[] = [];

/** `frames` played `times` times in a row, on one clock (each loop starts with its key frame). */
function looped(frames: readonly SourceFrame[], times: number): SourceFrame[] {
  const out: SourceFrame[] = [];
  for (let t = 0; t < times; t++) for (const f of frames) out.push({ ...f, pts: 90000 + out.length * 3600 });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The stream: a native listener with a relay, and what its handler was given

interface Records {
  /** Runs as JavaScript got them: the timestamp and whether the frame's last packet ended it. */
  runs: { timestamp: number; marker: boolean; ssrc: number; firstSequence: number; count: number }[];
  datagrams: number;
  raws: (number | undefined)[];
  dataBytes: number;
  states: [RelayState, string][];
  params: number;
  viewerEnds: { id: number; reason: RelayViewerEndReason; bytes: number }[];
}

interface Stream {
  socket: NativeRtpSocket;
  relay: NativeFlvRelay;
  records: Records;
  /** Frames JavaScript got whole (runs ending with a marked packet). */
  markedRuns(): number;
}

const readers: NativeRtpReader[] = [];
const sockets: Socket[] = [];
let viewerServer: Server | undefined;
let viewerPort = 0;

before(async () => {
  if (skip) return;
  clip = framesOf(readMedia('h264-640x360.h264'), 'h264');
  noise = framesOf(readMedia('h264-noise.h264'), 'h264');
  viewerServer = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => viewerServer?.listen(0, '127.0.0.1', resolve));
  const address = viewerServer.address();
  viewerPort = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  for (const s of sockets) s.destroy();
  for (const u of udpSenders) u.close();
  for (const r of readers) r.close();
  if (viewerServer) await new Promise<void>((resolve) => viewerServer?.close(() => resolve()));
});

function openStream(limits: RelayLimits = LIMITS): Stream {
  const reader = new NativeRtpReader(addon(), 2);
  readers.push(reader);
  const records: Records = { runs: [], datagrams: 0, raws: [], dataBytes: 0, states: [], params: 0, viewerEnds: [] };
  // Set once the socket exists (no record comes before the first byte). As TcpIngest does: the relay's records go to the relay object.
  const owner: { relay?: NativeFlvRelay } = {};
  const handler: RtpTcpHandler = {
    accepted: () => undefined,
    refused: () => assert.fail('one camera connection at a time'),
    closed: () => undefined,
    datagram: () => records.datagrams++,
    run: (run) => void records.runs.push({ timestamp: run.timestamp, marker: run.marker, ssrc: run.ssrc, firstSequence: run.firstSequence, count: run.count }),
    raw: (ssrc) => void records.raws.push(ssrc),
    data: (chunk) => void (records.dataBytes += chunk.length),
    relayState: (state, reason) => {
      records.states.push([state, reason]);
      owner.relay?.onState(state, reason);
    },
    relayParams: (sps, pps) => {
      records.params++;
      owner.relay?.onParams(sps, pps);
    },
    relayViewerEnded: (id, reason, bytes) => {
      records.viewerEnds.push({ id, reason, bytes });
      owner.relay?.onViewerEnded(id, reason);
    },
  };
  const socket = reader.listen('127.0.0.1', 0, handler);
  const relay = socket.startRelay(limits);
  owner.relay = relay;
  return { socket, relay, records, markedRuns: () => records.runs.filter((r) => r.marker).length };
}

/** A camera connected to the stream's listener: RTP packets, each with its RFC 4571 length. */
class Camera {
  private packetizer: RtpPsPacketizer;

  private constructor(
    readonly socket: Socket,
    readonly ssrc: number,
  ) {
    this.packetizer = new RtpPsPacketizer({ ssrc, initialSequenceNumber: 1000, maxPayload: 1400 });
  }

  static async connect(stream: Stream, ssrc = SSRC): Promise<Camera> {
    const socket = await tcpConnect(stream.socket.port);
    sockets.push(socket);
    socket.on('error', () => undefined);
    return new Camera(socket, ssrc);
  }

  /** Frames as PS packs over RTP, `paceMs` apart (0: back to back). */
  async send(frames: readonly SourceFrame[], paceMs = 0): Promise<void> {
    const packs = muxFrames(frames, 'h264');
    for (let i = 0; i < packs.length; i++) {
      const packets = this.packetizer.packetize(packs[i] as Buffer, frames[i]?.pts ?? 0);
      await writeAll(this.socket, framed(packets));
      if (paceMs > 0) await delay(paceMs);
    }
  }

  /** One RTP packet of this camera's sequence with any payload (and, if asked, another SSRC). */
  async sendPayload(payload: Buffer, timestamp: number, options: { marker?: boolean; ssrc?: number } = {}): Promise<void> {
    const sequenceNumber = this.packetizer.sequenceNumber;
    const packet = buildRtpPacket({ marker: options.marker ?? true, payloadType: 96, sequenceNumber, timestamp, ssrc: options.ssrc ?? this.ssrc }, payload);
    // The camera's next packets go on after this one.
    this.packetizer = new RtpPsPacketizer({ ssrc: this.ssrc, initialSequenceNumber: (sequenceNumber + 1) & 0xffff, maxPayload: 1400 });
    await writeAll(this.socket, framed([packet]));
  }
}

function framed(packets: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of packets) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(p.length);
    parts.push(length, p);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Viewers: a client of a local server whose accepted socket is handed to the relay

interface FlvTag {
  type: number;
  timestamp: number;
  size: number;
  keyframe: boolean;
  /** AVC packet type of a video tag: 0 sequence header, 1 NAL units. */
  avcType: number;
}

class Viewer {
  readonly chunks: Buffer[] = [];
  readonly tags: FlvTag[] = [];
  readonly ends: RelayViewerEndReason[] = [];
  header: Buffer | undefined;
  eof = false;
  id = 0;
  private rest: Buffer = Buffer.alloc(0);

  constructor(readonly client: Socket) {}

  /** Video tags with pictures (not the sequence header). */
  get pictures(): FlvTag[] {
    return this.tags.filter((t) => t.type === 9 && t.avcType === 1);
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    let b = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    if (this.header === undefined) {
      if (b.length < 13) {
        this.rest = b;
        return;
      }
      this.header = b.subarray(0, 13);
      assert.equal(this.header.toString('latin1', 0, 3), 'FLV', 'the stream starts with the FLV signature');
      assert.equal(this.header.readUInt32BE(9), 0, 'PreviousTagSize0 is 0');
      b = b.subarray(13);
    }
    let p = 0;
    while (p + 11 <= b.length) {
      const size = b.readUIntBE(p + 1, 3);
      if (p + 11 + size + 4 > b.length) break;
      const type = b[p] ?? 0;
      const timestamp = (b.readUIntBE(p + 4, 3) | ((b[p + 7] ?? 0) << 24)) >>> 0;
      const first = b[p + 11] ?? 0;
      this.tags.push({ type, timestamp, size, keyframe: type === 9 && first >> 4 === 1, avcType: type === 9 ? (b[p + 12] ?? -1) : -1 });
      assert.equal(b.readUInt32BE(p + 11 + size), 11 + size, 'PreviousTagSize of each tag');
      p += 11 + size + 4;
    }
    this.rest = Buffer.from(b.subarray(p));
  }
}

/**
 * A viewer handed to the relay as FlvViewers hands one: the accepted socket's descriptor goes to
 * the relay and Node's own Socket is destroyed. `read: false`: the client never reads a byte.
 */
async function watch(relay: NativeFlvRelay, options: { read?: boolean } = {}): Promise<Viewer> {
  const server = viewerServer;
  assert.ok(server);
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(viewerPort, '127.0.0.1');
  sockets.push(client);
  client.on('error', () => undefined);
  const viewer = new Viewer(client);
  if (options.read === false) {
    client.pause(); // never read: not even the first bytes, so that the kernel's buffers fill
  } else {
    client.on('data', (chunk: Buffer) => viewer.onData(chunk));
    client.on('end', () => (viewer.eof = true));
  }
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const socket = await accepted;
  try {
    viewer.id = relay.serve(socket, (reason) => viewer.ends.push(reason));
  } finally {
    // Served: the relay holds its own duplicate. Refused: the connection is not wanted either.
    socket.destroy();
  }
  return viewer;
}

/** A relay serving the clip's first five frames to two viewers, each of which has them. */
async function servingTwo(): Promise<{ stream: Stream; relay: NativeFlvRelay; camera: Camera; viewers: [Viewer, Viewer] }> {
  const stream = openStream();
  const { relay } = stream;
  const camera = await Camera.connect(stream);
  await camera.send(clip.slice(0, 5));
  await waitFor('native', () => relay.state === 'native');
  const viewers: [Viewer, Viewer] = [await watch(relay), await watch(relay)];
  await waitFor('the GOP', () => viewers.every((v) => v.pictures.length === 5));
  return { stream, relay, camera, viewers };
}

/** The picture timestamps a viewer should see for `n` frames at 25 fps from its first. */
function steps(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i * FRAME_MS);
}

// ---------------------------------------------------------------------------------------------

describe('native FLV relay over real sockets', { skip, timeout: 60_000 }, () => {
  test('a viewer that asks before the first key frame gets, from that key frame on, every frame as FLV that ffprobe reads as 640x360 H.264', async () => {
    const stream = openStream();
    const { relay } = stream;
    const viewer = await watch(relay);
    assert.equal(relay.state, 'pending');
    assert.equal(relay.viewerCount, 1);
    const camera = await Camera.connect(stream);
    const frames = clip; // key frames at 0 and 25
    await camera.send(frames);
    await waitFor(`${frames.length} pictures`, () => viewer.pictures.length >= frames.length, 5000);
    await delay(50);

    assert.equal(relay.state, 'native');
    assert.deepEqual(stream.records.states, [['native', '']]);
    assert.ok(stream.records.params >= 1, 'the parameter sets were announced');
    assert.equal(viewer.header?.[4], 1, 'video only');
    const video = viewer.tags.filter((t) => t.type === 9);
    assert.equal(video[0]?.avcType, 0, 'the sequence header comes first');
    assert.equal(video[1]?.avcType, 1);
    assert.equal(video[1]?.keyframe, true, 'the first picture is a key frame');
    assert.equal(viewer.pictures.length, frames.length, 'every frame');
    assert.deepEqual(viewer.pictures.map((t) => t.timestamp), steps(frames.length));
    assert.deepEqual(
      viewer.pictures.map((t, i) => (t.keyframe ? i : -1)).filter((i) => i >= 0),
      [0, 25],
    );

    const [probed] = probeBytes('native-relay.flv', viewer.bytes);
    assert.equal(probed?.codec_name, 'h264');
    assert.equal(probed?.width, 640);
    assert.equal(probed?.height, 360);
    assert.equal(Number(probed?.nb_read_frames), frames.length, 'ffprobe decodes every frame');

    const stats = relay.stats();
    assert.equal(stats?.state, 'native');
    assert.equal(stats?.videoFrames, frames.length);
    assert.equal(stats?.keyframes, 2);
    assert.equal(stats?.audioFrames, 0);
    assert.equal(stats?.viewers, 1);
    assert.equal(stats?.viewerBytes, viewer.bytes.length, 'the relay counts what it wrote');
    assert.equal(stream.markedRuns(), frames.length, 'JavaScript is fed every frame meanwhile');
    assert.deepEqual(viewer.ends, []);
  });

  test('a stream that begins mid-GOP (pictures before its first key frame) is served from that key frame on', async () => {
    const stream = openStream();
    const { relay } = stream;
    const viewer = await watch(relay);
    const camera = await Camera.connect(stream);
    // A camera that starts mid-GOP, or a first key frame cut short: five pictures that depend on
    // a key frame the relay never saw (PsMuxer, as cameras do, writes the PSM with key frames only).
    const frames = clip.slice(20);
    assert.ok(!frames.slice(0, 5).some((f) => f.keyframe) && frames[5]?.keyframe === true);
    await camera.send(frames);
    await relay.decided(2000);
    assert.deepEqual(stream.records.states, [['native', '']], 'the relay serves once the key frame comes');
    const expected = frames.length - 5;
    await waitFor(`${expected} pictures`, () => viewer.pictures.length >= expected);
    await delay(50);
    assert.equal(viewer.pictures.length, expected, 'every frame from the key frame on, none before');
    assert.equal(viewer.pictures[0]?.keyframe, true);
    assert.deepEqual(viewer.pictures.map((t) => t.timestamp), steps(expected));
    assert.equal(relay.stats()?.videoFrames, expected);
    assert.equal(relay.stats()?.keyframes, 1);
    const [probed] = probeBytes('native-relay-mid-gop.flv', viewer.bytes);
    assert.equal(Number(probed?.nb_read_frames), expected);
  });

  test('a viewer that joins mid-stream starts with the cached GOP: its key frame and every frame since, then the live ones', async () => {
    const stream = openStream();
    const { relay } = stream;
    const camera = await Camera.connect(stream);
    const gop = clip.slice(0, 10);
    await camera.send(gop);
    await waitFor('the relay has read 10 frames', () => relay.stats()?.videoFrames === 10);
    const viewer = await watch(relay);
    await waitFor('the cached GOP', () => viewer.pictures.length >= gop.length);
    await delay(100);
    assert.equal(viewer.pictures.length, gop.length, 'the GOP so far, and nothing else before the next live frame');
    assert.equal(viewer.tags.find((t) => t.type === 9)?.avcType, 0, 'the sequence header first');
    assert.equal(viewer.pictures[0]?.keyframe, true, 'the first picture is the GOP\'s key frame');
    assert.ok(viewer.pictures.slice(1).every((t) => !t.keyframe));

    await camera.send(clip.slice(10, 15));
    await waitFor('five live frames', () => viewer.pictures.length >= 15);
    await delay(50);
    assert.equal(viewer.pictures.length, 15);
    assert.deepEqual(viewer.pictures.map((t) => t.timestamp), steps(15), 'the cached and the live frames on one clock from 0');
    assert.equal(relay.stats()?.videoFrames, 15);
  });

  test('feed(false) while the relay serves stops runs reaching JavaScript; feed(true) brings them back, from the last key frame', async () => {
    const stream = openStream();
    const { relay } = stream;
    const camera = await Camera.connect(stream);
    await camera.send(clip.slice(0, 5));
    await waitFor('native and five frames to JavaScript', () => relay.state === 'native' && stream.markedRuns() === 5);
    relay.feed(false);
    assert.equal(relay.isFed, false);
    const runsBefore = stream.records.runs.length;

    await camera.send(clip.slice(5, 15));
    await waitFor('the relay has read 15 frames', () => relay.stats()?.videoFrames === 15);
    await delay(100);
    assert.equal(stream.records.runs.length, runsBefore, 'no runs while the relay serves alone');

    relay.feed(true);
    assert.equal(relay.isFed, true);
    await camera.send(clip.slice(15, 20));
    // The GOP JavaScript missed (frames 0-14, from the key frame) comes first, so a consumer that
    // attached starts at once; then the live frames, with no gap in the sequence numbers.
    await waitFor('runs again', () => stream.markedRuns() === 5 + 20);
    const fresh = stream.records.runs.slice(runsBefore);
    assert.deepEqual([...new Set(fresh.map((r) => r.timestamp))], clip.slice(0, 20).map((f) => f.pts), 'the GOP since the last key frame, then the frames sent after feed(true)');
    for (let i = 1; i < fresh.length; i++) {
      const prev = fresh[i - 1]!;
      assert.equal(fresh[i]!.firstSequence, (prev.firstSequence + prev.count) & 0xffff, `run ${i} follows run ${i - 1} without a gap`);
    }
    assert.equal(relay.stats()?.videoFrames, 20);
  });

  test('feed(false) while the relay is still pending leaves JavaScript fed', async () => {
    const stream = openStream();
    const { relay } = stream;
    assert.equal(relay.state, 'pending');
    relay.feed(false);
    const fedWhilePending = relay.isFed;
    const camera = await Camera.connect(stream);
    await camera.send(clip.slice(0, 5));
    await waitFor('native', () => relay.state === 'native');
    await waitFor('five frames to JavaScript', () => stream.markedRuns() === 5, 500).catch(() => undefined);
    // Both at once: what isFed said, and what JavaScript got (the key frame that made it native included).
    assert.deepEqual(
      { isFed: fedWhilePending, framesToJavaScript: stream.markedRuns() },
      { isFed: true, framesToJavaScript: 5 },
      'a relay that does not serve yet cannot stand in for JavaScript',
    );
    assert.equal(relay.isFed, true);
  });

  test('a viewer that never reads is ended as too slow while a reading viewer on the same relay gets every frame', async () => {
    const stream = openStream({ ...LIMITS, slowSkipBytes: 64 << 10, slowDropBytes: 256 << 10, stallMs: 1000 });
    const { relay } = stream;
    const reading = await watch(relay);
    const stuck = await watch(relay, { read: false });
    const camera = await Camera.connect(stream);
    // ~550 KB every 4 frames: the stuck viewer's socket buffers fill within a few loops.
    const frames = looped(noise, 16);
    const sent = camera.send(frames, 8);
    await waitFor('the stuck viewer dropped', () => stuck.ends.length > 0, 10_000);
    await sent;
    await waitFor('every frame to the reading viewer', () => reading.pictures.length >= frames.length, 5000);
    await delay(50);

    assert.deepEqual(stuck.ends, ['too-slow']);
    assert.deepEqual(reading.ends, [], 'the reading viewer stays');
    assert.equal(reading.pictures.length, frames.length, 'the reading viewer got every frame');
    assert.deepEqual(reading.pictures.map((t) => t.timestamp), steps(frames.length), 'none skipped');
    assert.equal(relay.viewerCount, 1);
    const stats = relay.stats();
    assert.equal(stats?.viewers, 1);
    assert.ok((stats?.slowDrops ?? 0) >= 1, `slowDrops ${stats?.slowDrops}`);
    assert.ok(stream.records.viewerEnds.some((e) => e.id === stuck.id && e.reason === 'too-slow'));
  });

  test('a viewer whose player closes the connection is ended as closed', async () => {
    const { stream, relay, camera, viewers: [viewer, other] } = await servingTwo();
    assert.equal(relay.viewerCount, 2);
    viewer.client.destroy();
    await waitFor('the viewer ended', () => viewer.ends.length > 0);
    assert.deepEqual(viewer.ends, ['closed']);
    assert.deepEqual(
      stream.records.viewerEnds.map((e) => [e.id, e.reason]),
      [[viewer.id, 'closed']],
    );
    assert.equal(relay.viewerCount, 1);
    assert.equal(relay.stats()?.viewers, 1);
    await camera.send(clip.slice(5, 8));
    await waitFor('the other viewer goes on', () => other.pictures.length === 8);
    assert.deepEqual(other.ends, []);
  });

  test('a stream that stops being plain (bytes between packs) makes the relay bail: its viewers end, JavaScript is fed again, new viewers are refused', async () => {
    const stream = openStream();
    const { relay } = stream;
    const camera = await Camera.connect(stream);
    const early = await watch(relay);
    await camera.send(clip.slice(0, 10));
    await waitFor('native', () => relay.state === 'native');
    const late = await watch(relay);
    await waitFor('ten frames to both viewers', () => early.pictures.length === 10 && late.pictures.length === 10);
    relay.feed(false);
    assert.equal(relay.isFed, false);
    const runsBefore = stream.records.runs.length;

    // A packet of its own, between two packs, that is no PS at all.
    const garbageTs = (clip[9]?.pts ?? 0) + 1800;
    await camera.sendPayload(Buffer.alloc(200, 0xab), garbageTs);
    await waitFor('bailed', () => relay.state === 'bailed');
    assert.deepEqual(stream.records.states.map(([s]) => s), ['native', 'bailed']);
    assert.match(relay.reason, /bytes between packets/);
    assert.equal(relay.stats()?.reason, relay.reason);
    await waitFor('both viewers ended, their players at EOF', () => early.eof && late.eof && early.ends.length > 0 && late.ends.length > 0);
    assert.deepEqual(early.ends, ['stream-ended']);
    assert.deepEqual(late.ends, ['stream-ended']);
    assert.equal(relay.viewerCount, 0);
    assert.equal(relay.isFed, true, 'a bailed relay leaves JavaScript fed');

    await camera.send(clip.slice(10, 15));
    await waitFor('runs again', () => stream.records.runs.filter((r) => r.timestamp === clip[14]?.pts && r.marker).length === 1);
    const fed = new Set(stream.records.runs.slice(runsBefore).map((r) => r.timestamp));
    for (const f of clip.slice(10, 15)) assert.ok(fed.has(f.pts), `frame at ${f.pts} reached JavaScript`);

    await assert.rejects(watch(relay), (err: NodeJS.ErrnoException) => err.code === 'ERR_RELAY_BAILED' || /does not serve/.test(err.message));
    relay.feed(false);
    assert.equal(relay.isFed, true, 'feed(false) on a bailed relay leaves JavaScript fed');
  });

  test('a packet of another SSRC hands the framing to JavaScript: the relay bails, its viewers end, the bytes reach JavaScript raw', async () => {
    const stream = openStream();
    const { relay } = stream;
    const camera = await Camera.connect(stream);
    await camera.send(clip.slice(0, 5));
    await waitFor('native', () => relay.state === 'native');
    const viewer = await watch(relay);
    await waitFor('the GOP', () => viewer.pictures.length === 5);
    relay.feed(false);
    const stranger = Buffer.alloc(300, 0x11);
    await camera.sendPayload(stranger, clip[5]?.pts ?? 0, { ssrc: SSRC + 1 });
    await camera.send(clip.slice(6, 10));
    await waitFor('bailed', () => relay.state === 'bailed');
    assert.match(relay.reason, /framing/);
    await waitFor('the viewer ended, its player at EOF', () => viewer.eof && viewer.ends.length > 0);
    assert.deepEqual(viewer.ends, ['stream-ended']);
    await waitFor('the raw bytes', () => stream.records.dataBytes >= 2 + 12 + stranger.length);
    assert.deepEqual(stream.records.raws, [SSRC], 'raw mode, with the SSRC the connection had');
    assert.equal(relay.isFed, true);
    await assert.rejects(watch(relay), (err: NodeJS.ErrnoException) => err.code === 'ERR_RELAY_BAILED' || /does not serve/.test(err.message));
  });

  test('close() after the socket closed ends each viewer once, with stream-ended', async () => {
    const { stream, relay, camera, viewers: [a, b] } = await servingTwo();
    stream.socket.close();
    relay.close();
    relay.close();
    assert.deepEqual(a.ends, ['stream-ended']);
    assert.deepEqual(b.ends, ['stream-ended']);
    assert.equal(relay.viewerCount, 0);
    assert.equal(relay.stats(), undefined);
    await waitFor('the players at EOF', () => a.eof && b.eof);
    await delay(50);
    assert.deepEqual(a.ends, ['stream-ended'], 'once');
    assert.deepEqual(b.ends, ['stream-ended'], 'once');
    assert.throws(() => relay.serve(camera.socket, () => assert.fail('no viewer of a closed relay')), /ended/);
  });

  test('endViewer(id) ends that viewer (stream-ended, its player at EOF) and no other', async () => {
    const { stream, relay, camera, viewers: [a, b] } = await servingTwo();
    relay.endViewer(a.id);
    await waitFor('the viewer ended, its player at EOF', () => a.ends.length > 0 && a.eof);
    assert.deepEqual(a.ends, ['stream-ended']);
    assert.equal(relay.viewerCount, 1);
    relay.endViewer(a.id);
    relay.endViewer(123_456_789);
    await camera.send(clip.slice(5, 10));
    await waitFor('the other viewer goes on', () => b.pictures.length === 10);
    await delay(50);
    assert.deepEqual(a.ends, ['stream-ended'], 'once');
    assert.deepEqual(b.ends, []);
    assert.equal(a.pictures.length, 5, 'nothing after the end');
    assert.deepEqual(stream.records.viewerEnds.map((e) => [e.id, e.reason]), [[a.id, 'stream-ended']]);
  });

  describe('over UDP', () => {
    /** A relay on a UDP socket of the reader, and a sender; the records as openStream keeps them. */
    async function openUdp(): Promise<{ relay: NativeFlvRelay; records: Records; port: number; sender: UdpSocket; send(packets: readonly Buffer[]): Promise<void> }> {
      const reader = new NativeRtpReader(addon(), 2);
      readers.push(reader);
      const records: Records = { runs: [], datagrams: 0, raws: [], dataBytes: 0, states: [], params: 0, viewerEnds: [] };
      const owner: { relay?: NativeFlvRelay } = {};
      const socket = reader.open('127.0.0.1', 0, 1 << 20, {
        datagram: () => records.datagrams++,
        run: (run) => void records.runs.push({ timestamp: run.timestamp, marker: run.marker, ssrc: run.ssrc, firstSequence: run.firstSequence, count: run.count }),
        relayState: (state, reason) => {
          records.states.push([state, reason]);
          owner.relay?.onState(state, reason);
        },
        relayParams: () => void records.params++,
        relayViewerEnded: (id, reason, bytes) => {
          records.viewerEnds.push({ id, reason, bytes });
          owner.relay?.onViewerEnded(id, reason);
        },
      });
      const relay = socket.startRelay(LIMITS);
      owner.relay = relay;
      const sender = createSocket('udp4');
      await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
      udpSenders.push(sender);
      const send = async (packets: readonly Buffer[]): Promise<void> => {
        for (const [i, p] of packets.entries()) {
          await new Promise<void>((resolve, reject) => sender.send(p, socket.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
          // Loopback never reorders, but a full socket buffer drops: a loaded machine's reader
          // thread may sleep a while, so the sender paces itself (a lost packet makes the relay bail).
          if (i % 8 === 7) await delay(2);
        }
      };
      return { relay, records, port: socket.port, sender, send };
    }

    /** waitFor, whose timeout says what state the relay was in. */
    function relayWait(relay: NativeFlvRelay, what: string, condition: () => boolean): Promise<void> {
      return waitFor(what, condition, 5000).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; the relay is ${relay.state} (${relay.reason})`);
      });
    }

    function packetsOf(frames: readonly SourceFrame[], packetizer: RtpPsPacketizer): Buffer[] {
      const packs = muxFrames(frames, 'h264');
      return packs.flatMap((pack, i) => packetizer.packetize(pack, frames[i]?.pts ?? 0));
    }

    test('a UDP stream in order is served like a TCP one, and JavaScript can stop being fed', async () => {
      const udp = await openUdp();
      const viewer = await watch(udp.relay);
      const packetizer = new RtpPsPacketizer({ ssrc: SSRC, initialSequenceNumber: 65_500, maxPayload: 1400 });
      await udp.send(packetsOf(clip.slice(0, 10), packetizer));
      await relayWait(udp.relay, 'native, ten pictures', () => udp.relay.state === 'native' && viewer.pictures.length === 10);
      udp.relay.feed(false);
      assert.equal(udp.relay.isFed, false);
      const runsBefore = udp.records.runs.length;
      // The sequence numbers wrap past 65535 in here.
      await udp.send(packetsOf(clip.slice(10, 20), packetizer));
      await relayWait(udp.relay, 'twenty pictures', () => viewer.pictures.length === 20);
      assert.equal(udp.records.runs.length, runsBefore, 'nothing to JavaScript while the relay serves alone');
      assert.deepEqual(viewer.pictures.map((t) => t.timestamp), steps(20));
      assert.equal(udp.relay.state, 'native');
    });

    test('a lost UDP packet makes the relay bail: its viewer ends, JavaScript (with its reorder buffer and loss policy) is fed again', async () => {
      const udp = await openUdp();
      const viewer = await watch(udp.relay);
      const packetizer = new RtpPsPacketizer({ ssrc: SSRC, initialSequenceNumber: 1, maxPayload: 1400 });
      await udp.send(packetsOf(clip.slice(0, 5), packetizer));
      await waitFor('native', () => udp.relay.state === 'native' && viewer.pictures.length === 5);
      udp.relay.feed(false);
      const next = packetsOf(clip.slice(5, 10), packetizer);
      await udp.send([...next.slice(0, 1), ...next.slice(2)]); // the second packet of frame 5 never arrives
      await waitFor('bailed', () => udp.relay.state === 'bailed');
      assert.match(udp.relay.reason, /lost or out of order/);
      await waitFor('the viewer ended, its player at EOF', () => viewer.ends.length > 0 && viewer.eof);
      assert.deepEqual(viewer.ends, ['stream-ended']);
      assert.equal(udp.relay.isFed, true);
      const runsBefore = udp.records.runs.length;
      await udp.send(packetsOf(clip.slice(10, 12), packetizer));
      await waitFor('runs to JavaScript again', () => udp.records.runs.length > runsBefore);
    });

    test('datagrams from a second sender make the relay bail', async () => {
      const udp = await openUdp();
      const packetizer = new RtpPsPacketizer({ ssrc: SSRC, initialSequenceNumber: 1, maxPayload: 1400 });
      await udp.send(packetsOf(clip.slice(0, 3), packetizer));
      await waitFor('native', () => udp.relay.state === 'native');
      const other = createSocket('udp4');
      udpSenders.push(other);
      await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', () => resolve()));
      const [packet] = packetsOf(clip.slice(3, 4), packetizer);
      assert.ok(packet);
      await new Promise<void>((resolve, reject) => other.send(packet, udp.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      await waitFor('bailed', () => udp.relay.state === 'bailed');
      assert.match(udp.relay.reason, /second sender/);
    });
  });
});
