import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RtpIngestError } from '../../../src/media/ingest/errors';
import type { StreamPipeline } from '../../../src/media/ingest/stream-pipeline';
import { buildRtpPacket } from '../../../src/media/rtp/packet';
import { frameForTcp } from '../../../src/media/rtp/tcp-framer';
import { randomBytes, randomInt, seededRandom } from '../../helpers/random';
import {
  assertSameFrames,
  assertSameOutput,
  capturingLogger,
  closed,
  h264Clip,
  pipelineWithSink,
  rtcpReceiverReport,
  rtpOf,
  skipWithoutFfmpeg as skip,
  tcpConnect,
  waitFor,
  writeAll,
  type OpenPipeline,
} from './helpers';

const SSRC = 0x0200_0000 + 4321;
/** Which reader the suite below runs against: Node's net, or native/rtp-recv's thread (ADR 0022). */
let nativeRtp = false;
const open: StreamPipeline[] = [];
const clients: Socket[] = [];

after(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(open.map((p) => p.close('test over')));
});

async function passivePipeline(options: Partial<Parameters<typeof pipelineWithSink>[0]> = {}): Promise<OpenPipeline & { port: number }> {
  const opened = pipelineWithSink({ transport: 'tcp-passive', nativeRtp, ...options });
  open.push(opened.pipeline);
  await opened.pipeline.start();
  assert.equal(opened.pipeline.stats.ingest.reader, nativeRtp ? 'native' : 'node', 'the reader under test listens (a native build is required)');
  return { ...opened, port: opened.pipeline.localPort };
}

async function camera(port: number): Promise<Socket> {
  const socket = await tcpConnect(port);
  clients.push(socket);
  return socket;
}

/** Writes the stream in pieces of random size, so packets straddle reads. */
async function writeInPieces(socket: Socket, stream: Buffer, seed: number): Promise<void> {
  const rand = seededRandom(seed);
  for (let at = 0; at < stream.length; ) {
    const n = randomInt(rand, 1, 3000);
    await writeAll(socket, stream.subarray(at, at + n));
    at += n;
  }
}

for (const reader of ['node', 'native'] as const) describe(`RTP over TCP, passive (the camera connects to us; ${reader} reader)`, () => {
  before(() => {
    nativeRtp = reader === 'native';
  });

  test('an H.264 clip sent over a TCP connection comes out as its 50 frames, key frame first, 640x360', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await passivePipeline();
    const { packets } = rtpOf(clip, SSRC);
    const socket = await camera(port);
    await writeInPieces(socket, Buffer.concat(packets.map(frameForTcp)), 1);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'tcp passive');
    assert.deepEqual([sink.starts[0]?.video?.width, sink.starts[0]?.video?.height], [640, 360]);
    const { ingest } = pipeline.stats;
    assert.equal(ingest.packets, packets.length);
    assert.equal(ingest.connected, true);
    assert.equal(ingest.connections, 1);
    assert.equal(ingest.remote, `127.0.0.1:${socket.localPort}`);
    assert.deepEqual([ingest.lost, ingest.framingBytesDropped, ingest.badPackets], [0, 0, 0]);
  });

  test('a second connection while one is live is refused and counted; a reconnect after it closes is accepted', { skip }, async () => {
    const clip = h264Clip();
    const logs = capturingLogger();
    const { pipeline, sink, port } = await passivePipeline({ logger: logs.logger });
    const first = await camera(port);
    const { packets } = rtpOf(clip, SSRC, 1000);
    await writeAll(first, Buffer.concat(packets.slice(0, 20).map(frameForTcp)));
    await waitFor('first packets', () => pipeline.stats.ingest.packets === 20);
    const second = await camera(port);
    await closed(second);
    await waitFor('the refusal counted', () => pipeline.stats.ingest.connectionsRefused === 1);
    assert.ok(logs.messages().some((m) => m.includes('refusing a second RTP connection')));
    assert.equal(pipeline.stats.ingest.remote, `127.0.0.1:${first.localPort}`, 'the live one is untouched');

    first.end();
    await waitFor('disconnect seen', () => !pipeline.stats.ingest.connected);
    const before = sink.video.length;
    const again = await camera(port);
    // A camera that reconnects may restart its sequence numbers anywhere.
    await writeAll(again, Buffer.concat(rtpOf(clip, SSRC, 40000).packets.map(frameForTcp)));
    await waitFor('50 frames after the reconnect', () => sink.video.length === before + 50);
    assertSameFrames(sink.video.slice(before), clip.frames, 'after reconnect');
    const { ingest } = pipeline.stats;
    assert.equal(ingest.connections, 2);
    assert.equal(ingest.connected, true);
    assert.equal(ingest.remote, `127.0.0.1:${again.localPort}`);
    assert.equal(ingest.late, 0);
  });

  test('garbage, truncated packets and wrong RTP versions on the connection are counted and never throw (seeded)', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await passivePipeline();
    const rand = seededRandom(4571);
    const { packets } = rtpOf(clip, SSRC, 7);
    const pieces: Buffer[] = [];
    let badRtp = 0;
    let rtcp = 0;
    for (const [i, p] of packets.entries()) {
      pieces.push(frameForTcp(p));
      if (i === 0) continue;
      switch (randomInt(rand, 0, 5)) {
        case 0:
          pieces.push(randomBytes(rand, randomInt(rand, 1, 400)));
          break;
        case 1: {
          const wrongVersion = Buffer.from(p.subarray(0, randomInt(rand, 12, p.length)));
          wrongVersion[0] = 0x40;
          pieces.push(frameForTcp(wrongVersion));
          break;
        }
        case 2:
          pieces.push(frameForTcp(p).subarray(0, randomInt(rand, 1, 13)));
          break;
        case 3: {
          // Frames fine, but claims 15 CSRCs it does not carry.
          const csrcs = Buffer.from(p.subarray(0, 24));
          csrcs[0] = 0x8f;
          pieces.push(frameForTcp(csrcs));
          badRtp++;
          break;
        }
        case 4:
          pieces.push(frameForTcp(rtcpReceiverReport(SSRC)));
          rtcp++;
          break;
        default:
          pieces.push(frameForTcp(buildRtpPacket({ marker: false, payloadType: 96, sequenceNumber: i, timestamp: 0, ssrc: SSRC ^ 1 }, p.subarray(12, 60))));
      }
    }
    const dirty = await camera(port);
    await writeInPieces(dirty, Buffer.concat(pieces), 9);
    await waitFor('the stream\'s packets', () => pipeline.stats.ingest.packets >= packets.length - 10, 3000);
    const s = pipeline.stats.ingest;
    assert.ok(s.framingBytesDropped > 0 && s.framingResyncs > 0, `dropped ${s.framingBytesDropped} in ${s.framingResyncs} resyncs`);
    assert.ok(s.badPackets > 0 && s.badPackets <= badRtp, `bad ${s.badPackets} of ${badRtp}`);
    assert.ok(s.rtcpPackets > 0 && s.rtcpPackets <= rtcp, `rtcp ${s.rtcpPackets} of ${rtcp}`);
    assert.equal(s.connected, true, 'the connection survives');

    // The same camera reconnects cleanly: the picture comes back whole.
    dirty.end();
    await waitFor('disconnect seen', () => !pipeline.stats.ingest.connected);
    const before = sink.video.length;
    const clean = await camera(port);
    await writeAll(clean, Buffer.concat(rtpOf(clip, SSRC, 20000).packets.map(frameForTcp)));
    await waitFor('50 clean frames', () => sink.video.length === before + 50);
    assertSameFrames(sink.video.slice(before), clip.frames, 'after the garbage');
  });

  test('a connection of pure noise is survived, and the next connection plays whole', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await passivePipeline();
    const noisy = await camera(port);
    await writeAll(noisy, randomBytes(seededRandom(11), 200_000));
    await waitFor('noise consumed', () => pipeline.stats.ingest.framingBytesDropped > 50_000);
    assert.equal(pipeline.stats.ingest.connected, true);
    noisy.end();
    await waitFor('disconnect seen', () => !pipeline.stats.ingest.connected);
    // Noise can frame as RTP and lock a random SSRC; a new connection starts afresh.
    const before = sink.video.length;
    const clean = await camera(port);
    await writeAll(clean, Buffer.concat(rtpOf(clip, SSRC).packets.map(frameForTcp)));
    await waitFor('50 frames', () => sink.video.length === before + 50);
    assertSameFrames(sink.video.slice(before), clip.frames, 'after noise');
    assert.equal(pipeline.stats.ingest.ssrc, SSRC);
  });

  test('a port already listened on fails start() with a clear bind error', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const { pipeline } = pipelineWithSink({ transport: 'tcp-passive', nativeRtp, port });
      open.push(pipeline);
      await assert.rejects(pipeline.start(), (err: unknown) => err instanceof RtpIngestError && err.failure === 'bind-failed' && err.errno === 'EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  test('close() twice closes the live connection, ends the source and frees the port', async () => {
    const { pipeline, sink, port } = await passivePipeline();
    const socket = await camera(port);
    await waitFor('connected', () => pipeline.stats.ingest.connected);
    await Promise.all([pipeline.close('bye'), pipeline.close('bye again')]);
    await pipeline.close('once more');
    await closed(socket);
    assert.deepEqual(sink.ends, ['stream-ended']);
    assert.equal(pipeline.stats.ingest.connected, false);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});

describe('the native TCP reader against Node\'s, on the same streams', () => {
  test('same frames and counters: RTCP and unparsable packets on plain framing, then garbage that hands the framing over (seeded)', { skip }, async () => {
    const clip = h264Clip();
    let framesCompared = 0;
    for (const seed of [21, 22, 23]) {
      const rand = seededRandom(seed);
      const { packets } = rtpOf(clip, SSRC, 60000 + seed, randomInt(rand, 300, 1400));
      const pieces: Buffer[] = [];
      const damageFrom = randomInt(rand, packets.length / 3, (2 * packets.length) / 3);
      for (const [i, p] of packets.entries()) {
        pieces.push(frameForTcp(p));
        if (i > 0 && rand() < 0.05) pieces.push(frameForTcp(rtcpReceiverReport(SSRC)));
        if (i > 0 && rand() < 0.03) {
          // Framed fine, but claims 15 CSRCs it does not carry: a bad packet, not a framing error.
          const bad = Buffer.from(p.subarray(0, 24));
          bad[0] = 0x8f;
          pieces.push(frameForTcp(bad));
        }
        if (i >= damageFrom && rand() < 0.04) pieces.push(randomBytes(rand, randomInt(rand, 1, 300)));
        if (i >= damageFrom && rand() < 0.02) pieces.push(frameForTcp(p).subarray(0, randomInt(rand, 1, 13)));
        if (i >= damageFrom && rand() < 0.02) {
          // A length that lies: the packet looks right, but its frame swallows the next one's start.
          const liar = frameForTcp(p);
          liar.writeUInt16BE(liar.readUInt16BE(0) + randomInt(rand, 1, 40), 0);
          pieces.push(liar);
        }
      }
      const stream = Buffer.concat(pieces);
      const opened = await Promise.all(
        [false, true].map(async (native) => {
          const o = pipelineWithSink({ transport: 'tcp-passive', nativeRtp: native });
          open.push(o.pipeline);
          await o.pipeline.start();
          return o;
        }),
      );
      for (const o of opened) {
        const socket = await camera(o.pipeline.localPort);
        await writeInPieces(socket, stream, seed);
        socket.end();
      }
      await waitFor('both connections closed', () => opened.every((o) => o.pipeline.stats.ingest.connections === 1 && !o.pipeline.stats.ingest.connected), 5000);
      const [node, native] = opened as [OpenPipeline, OpenPipeline];
      const counters = (o: OpenPipeline) => {
        const i = o.pipeline.stats.ingest;
        return {
          packets: i.packets,
          bytes: i.bytes,
          lost: i.lost,
          duplicates: i.duplicates,
          bad: i.badPackets,
          rtcp: i.rtcpPackets,
          ssrc: i.ssrcMismatches,
          dropped: i.framingBytesDropped,
          resyncs: i.framingResyncs,
        };
      };
      assert.deepEqual(counters(native), counters(node), `seed ${seed}: ingest counters`);
      framesCompared += assertSameOutput(native, node, `seed ${seed}`);
    }
    assert.ok(framesCompared > 60, `frames compared: ${framesCompared}`);
  });
});
