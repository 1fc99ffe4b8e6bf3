import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { RtpIngestError } from '../../../src/media/ingest/errors';
import type { StreamPipeline } from '../../../src/media/ingest/stream-pipeline';
import { buildRtpPacket } from '../../../src/media/rtp/packet';
import { readMedia } from '../helpers/media-files';
import { framesOf, muxFrames } from '../helpers/ps-stream';
import { randomBytes, randomInt, seededRandom } from '../../helpers/random';
import {
  assertSameFrames,
  assertSameOutput,
  capturingLogger,
  closeUdp,
  delay,
  h264Clip,
  pipelineWithSink,
  rtcpReceiverReport,
  rtpOf,
  sendUdp,
  skipWithoutFfmpeg as skip,
  udpSender,
  waitFor,
  type OpenPipeline,
} from './helpers';

const SSRC = 0x0200_0000 + 1234;
/** Which reader the suite below runs against: Node's dgram, or native/rtp-recv's thread (ADR 0022). */
let nativeRtp = false;
const open: StreamPipeline[] = [];
const senders: ReturnType<typeof createSocket>[] = [];

after(async () => {
  await Promise.all(open.map((p) => p.close('test over')));
  await Promise.all(senders.map(closeUdp));
});

async function udpPipeline(options: Parameters<typeof pipelineWithSink>[0] = { transport: 'udp' }): Promise<OpenPipeline & { port: number }> {
  const opened = pipelineWithSink({ nativeRtp, ...options });
  open.push(opened.pipeline);
  await opened.pipeline.start();
  assert.equal(opened.pipeline.stats.ingest.reader, nativeRtp ? 'native' : 'node', 'the reader under test reads the socket (a native build is required)');
  return { ...opened, port: opened.pipeline.localPort };
}

async function sender(): Promise<ReturnType<typeof createSocket>> {
  const s = await udpSender();
  senders.push(s);
  return s;
}

/** Swaps neighbours here and there (never the first packet, which sets the sequence base). */
function jostle(packets: readonly Buffer[], seed: number): Buffer[] {
  const rand = seededRandom(seed);
  const out = [...packets];
  for (let i = 1; i + 3 < out.length; i += randomInt(rand, 3, 9)) {
    const j = i + randomInt(rand, 1, 3);
    [out[i], out[j]] = [out[j] as Buffer, out[i] as Buffer];
  }
  return out;
}

for (const reader of ['node', 'native'] as const) describe(`RTP over UDP into a MediaSource (${reader} reader)`, () => {
  before(() => {
    nativeRtp = reader === 'native';
  });

  test('an H.264 clip sent over UDP comes out as its 50 frames, key frame first, 640x360', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline();
    const camera = await sender();
    const { packets } = rtpOf(clip, SSRC);
    await sendUdp(camera, packets, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'udp');
    assert.equal(sink.video[0]?.keyframe, true);
    assert.equal(sink.starts.length, 1);
    assert.deepEqual([sink.starts[0]?.video?.codec, sink.starts[0]?.video?.width, sink.starts[0]?.video?.height], ['h264', 640, 360]);
    const { ingest, demux, source } = pipeline.stats;
    assert.equal(ingest.packets, packets.length);
    assert.equal(ingest.bytes, packets.reduce((n, p) => n + p.length, 0));
    assert.deepEqual([ingest.lost, ingest.reordered, ingest.duplicates, ingest.late, ingest.badPackets], [0, 0, 0, 0, 0]);
    assert.equal(ingest.ssrc, SSRC);
    assert.equal(ingest.connected, true);
    assert.equal(ingest.remote, `127.0.0.1:${camera.address().port}`);
    assert.ok(Date.now() - ingest.lastPacketAt < 2000);
    assert.equal(demux.videoFrames, 50);
    assert.equal(source.videoFrames, 50);
    assert.equal(source.keyframes, 2);
  });

  test('frames of several hundred kilobytes arrive whole over UDP', { skip }, async () => {
    const frames = framesOf(readMedia('h264-noise.h264'), 'h264');
    const { sink, port, pipeline } = await udpPipeline();
    const { packets } = rtpOf({ frames, packs: muxFrames(frames, 'h264') }, SSRC);
    await sendUdp(await sender(), packets, port);
    await waitFor('4 big frames', () => sink.video.length === frames.length);
    assertSameFrames(sink.video, frames, 'noise');
    assert.equal(pipeline.stats.ingest.lost, 0);
  });

  test('packets out of order and duplicated are put back in order and counted', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline();
    const { packets } = rtpOf(clip, SSRC, 65400, 256);
    const shuffled = jostle(packets, 3);
    const withDuplicates = shuffled.flatMap((p, i) => (i % 40 === 7 ? [p, p] : [p]));
    const duplicates = withDuplicates.length - shuffled.length;
    await sendUdp(await sender(), withDuplicates, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'jostled');
    const { ingest } = pipeline.stats;
    assert.ok(ingest.reordered > 10, `reordered ${ingest.reordered}`);
    assert.equal(ingest.duplicates, duplicates);
    assert.equal(ingest.lost, 0);
  });

  for (const afterLoss of ['continue', 'wait-keyframe'] as const) {
    test(`lost packets are counted and the stream recovers at the next key frame (${afterLoss})`, { skip }, async () => {
      const clip = h264Clip();
      const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', afterLoss });
      const { packets, frameOf } = rtpOf(clip, SSRC, 100, 64);
      const hit = frameOf.map((f, i) => (f === 5 ? i : -1)).filter((i) => i >= 0);
      assert.ok(hit.length >= 3, 'frame 5 spans several packets');
      const dropped = new Set(hit.slice(1, 3));
      await sendUdp(await sender(), packets.filter((_, i) => !dropped.has(i)), port);
      await waitFor('all packets', () => pipeline.stats.ingest.packets === packets.length - 2);
      // The demuxer distrusts RTP markers for a while after a loss, so the very last frame may
      // wait for a next one that never comes: compare up to the one before.
      const lastPts = clip.frames[48]?.pts;
      await waitFor('frame 48', () => sink.video.some((f) => f.pts === lastPts));
      assert.equal(pipeline.stats.ingest.lost, 2);
      const got = sink.video.filter((f) => f.pts <= (lastPts ?? 0));
      assert.equal(got[0]?.keyframe, true);
      assert.ok(!got.some((f) => f.pts === clip.frames[5]?.pts), 'the frame the loss hit is dropped');
      assertSameFrames(got.slice(0, 5), clip.frames.slice(0, 5), 'before the loss');
      const fromKey = got.findIndex((f) => f.pts === clip.frames[25]?.pts);
      assertSameFrames(got.slice(fromKey), clip.frames.slice(25, 49), 'from the next key frame on');
      if (afterLoss === 'continue') {
        assertSameFrames(got.slice(5, fromKey), clip.frames.slice(6, 25), 'after the loss');
        assert.equal(got.length, 48);
      } else {
        assert.equal(fromKey, 5, 'nothing between the loss and the next key frame');
        assert.equal(pipeline.stats.framesSkippedAfterLoss, 19);
      }
    });
  }

  test('a second SSRC on the port is dropped and counted, and logged once, under "first"', { skip }, async () => {
    const clip = h264Clip();
    const logs = capturingLogger();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', logger: logs.logger });
    const mine = rtpOf(clip, SSRC).packets;
    const intruder = rtpOf(clip, SSRC + 1, 1).packets.slice(0, 20);
    const mixed = mine.flatMap((p, i) => (i > 0 && i <= intruder.length ? [p, intruder[i - 1] as Buffer] : [p]));
    await sendUdp(await sender(), mixed, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'with an intruder');
    assert.equal(pipeline.stats.ingest.ssrcMismatches, 20);
    assert.equal(pipeline.stats.ingest.ssrc, SSRC);
    assert.equal(logs.messages().filter((m) => m.includes('another SSRC')).length, 1);
  });

  test('the SSRC of the 200 OK answer takes the port over from a stale sender that came first', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', expectedSsrc: SSRC });
    const stale = rtpOf(clip, 0x0100_0000, 30000).packets;
    const answered = SSRC + 7;
    const staleSender = await sender();
    await sendUdp(staleSender, stale.slice(0, 12), port);
    await waitFor('stale packets', () => pipeline.stats.ingest.packets === 12);
    assert.equal(pipeline.stats.ingest.ssrc, 0x0100_0000);
    pipeline.setExpectedSsrc(answered);
    const before = sink.video.length;
    await sendUdp(await sender(), rtpOf(clip, answered, 5).packets, port);
    await sendUdp(staleSender, stale.slice(12, 17), port);
    await waitFor('50 more frames', () => sink.video.length === before + 50);
    assertSameFrames(sink.video.slice(before), clip.frames, 'answered SSRC');
    const { ingest } = pipeline.stats;
    assert.equal(ingest.ssrc, answered);
    assert.equal(ingest.ssrcMismatches, 5, 'the stale sender is dropped from then on');
  });

  test('an answer naming an SSRC the device never sends does not stop the stream it does send', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', expectedSsrc: SSRC });
    const { packets } = rtpOf(clip, 0x1234_5678);
    const camera = await sender();
    await sendUdp(camera, packets.slice(0, 10), port);
    pipeline.setExpectedSsrc(0); // y=0000000000
    await sendUdp(camera, packets.slice(10), port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assert.equal(pipeline.stats.ingest.ssrcMismatches, 0);
  });

  test('a stray packet that locked the port first gives way once it has been silent', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', ssrcLockTimeoutMs: 150 });
    const stray = await sender();
    await sendUdp(stray, [buildRtpPacket({ marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 0xdead }, Buffer.alloc(20))], port);
    await waitFor('stray locked', () => pipeline.stats.ingest.ssrc === 0xdead);
    const { packets } = rtpOf(clip, SSRC);
    const camera = await sender();
    await sendUdp(camera, packets.slice(0, 3), port);
    await waitFor('the 3 packets', () => pipeline.stats.ingest.ssrcMismatches === 3);
    assert.equal(pipeline.stats.ingest.ssrc, 0xdead, 'within the lock time the first SSRC holds');
    await delay(200);
    await sendUdp(camera, packets, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'after the stray');
    assert.equal(pipeline.stats.ingest.ssrc, SSRC);
    assert.equal(pipeline.stats.ingest.remote, `127.0.0.1:${camera.address().port}`, 'the sender is taken anew');
  });

  test('SSRC 0 is accepted under "first", with the mismatch against the offered SSRC logged once', { skip }, async () => {
    const clip = h264Clip();
    const logs = capturingLogger();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', expectedSsrc: SSRC, logger: logs.logger });
    await sendUdp(await sender(), rtpOf(clip, 0).packets, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assert.equal(pipeline.stats.ingest.ssrc, 0);
    const warned = logs.lines.filter((l) => String(l.msg).includes('another SSRC than the SDP'));
    assert.equal(warned.length, 1);
    assert.equal(warned[0]?.ssrc, 0);
    assert.equal(warned[0]?.expectedSsrc, SSRC);
  });

  test('policy "expected" accepts nothing but the expected SSRC', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', ssrcPolicy: 'expected', expectedSsrc: SSRC });
    const camera = await sender();
    const other = rtpOf(clip, 0).packets;
    await sendUdp(camera, other, port);
    await sendUdp(camera, rtpOf(clip, SSRC).packets, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'expected only');
    assert.equal(pipeline.stats.ingest.ssrcMismatches, other.length);
  });

  test('packets from a second source address are dropped and counted', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline();
    const { packets } = rtpOf(clip, SSRC);
    const camera = await sender();
    const spoof = await sender();
    await sendUdp(camera, packets.slice(0, 5), port);
    await waitFor('the sender locked', () => pipeline.stats.ingest.packets === 5);
    await sendUdp(spoof, packets.slice(10, 20), port);
    await sendUdp(camera, packets.slice(5), port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'one sender');
    assert.equal(pipeline.stats.ingest.sourceMismatches, 10);
    assert.equal(pipeline.stats.ingest.remote, `127.0.0.1:${camera.address().port}`);
  });

  test('policy "any" takes packets from any address', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline({ transport: 'udp', ssrcPolicy: 'any' });
    const { packets } = rtpOf(clip, SSRC);
    await sendUdp(await sender(), packets.slice(0, 30), port);
    await waitFor('first half', () => pipeline.stats.ingest.packets === 30);
    await sendUdp(await sender(), packets.slice(30), port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assert.equal(pipeline.stats.ingest.sourceMismatches, 0);
  });

  test('RTCP on the RTP port is counted and skipped', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline();
    const { packets } = rtpOf(clip, SSRC);
    const mixed = packets.flatMap((p, i) => (i % 10 === 0 ? [rtcpReceiverReport(SSRC), p] : [p]));
    await sendUdp(await sender(), mixed, port);
    await waitFor('50 frames', () => sink.video.length === 50);
    assert.equal(pipeline.stats.ingest.rtcpPackets, mixed.length - packets.length);
    assert.equal(pipeline.stats.ingest.badPackets, 0);
  });

  test('random bytes, truncated packets and wrong RTP versions are counted and never throw (seeded)', { skip }, async () => {
    const clip = h264Clip();
    const { pipeline, sink, port } = await udpPipeline();
    const { packets } = rtpOf(clip, SSRC);
    const rand = seededRandom(2815);
    const junk: Buffer[] = [];
    for (let i = 0; i < 1500; i++) {
      const base = packets[randomInt(rand, 0, packets.length - 1)] as Buffer;
      switch (randomInt(rand, 0, 4)) {
        case 0:
          junk.push(Buffer.from(Array.from({ length: randomInt(rand, 0, 1500) }, () => randomInt(rand, 0, 255))));
          break;
        case 1:
          junk.push(base.subarray(0, randomInt(rand, 0, 11)));
          break;
        case 2: {
          const b = Buffer.from(base);
          b[0] = ([0, 1, 3][randomInt(rand, 0, 2)] as number) << 6;
          junk.push(b);
          break;
        }
        case 3: {
          // Claims more CSRCs or padding than it holds.
          const b = Buffer.from(base.subarray(0, randomInt(rand, 12, 40)));
          b[0] = 0x80 | (rand() < 0.5 ? 0x0f : 0x20);
          if (b[0] & 0x20) b[b.length - 1] = 255;
          junk.push(b);
          break;
        }
        default:
          junk.push(buildRtpPacket({ marker: false, payloadType: 96, sequenceNumber: randomInt(rand, 0, 65535), timestamp: 0, ssrc: SSRC ^ 0xffff }, base.subarray(12, 40)));
      }
    }
    const camera = await sender();
    await sendUdp(camera, packets.slice(0, 1), port);
    await sendUdp(camera, junk, port);
    await sendUdp(camera, packets.slice(1), port);
    const total = junk.length + packets.length;
    const counted = (): number => {
      const s = pipeline.stats.ingest;
      return s.packets + s.badPackets + s.rtcpPackets + s.ssrcMismatches + s.sourceMismatches;
    };
    await waitFor('every datagram counted', () => counted() === total, 3000);
    const s = pipeline.stats.ingest;
    assert.ok(s.badPackets > 700, `bad ${s.badPackets}`);
    assert.ok(s.ssrcMismatches >= 250, `ssrc ${s.ssrcMismatches}`);
    assert.equal(s.packets, packets.length, 'only the stream\'s packets got through');
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'after the junk');
  });

  test('a port already bound fails start() with a clear bind error', async () => {
    const holder = await udpSender();
    senders.push(holder);
    const { pipeline } = pipelineWithSink({ transport: 'udp', nativeRtp, port: holder.address().port });
    open.push(pipeline);
    await assert.rejects(pipeline.start(), (err: unknown) => {
      assert.ok(err instanceof RtpIngestError);
      assert.equal(err.failure, 'bind-failed');
      assert.equal(err.errno, 'EADDRINUSE');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${holder.address().port}`));
      return true;
    });
  });

  test('close() twice resolves, ends the source once and frees the port', async () => {
    const { pipeline, sink, port } = await udpPipeline();
    let ended = 0;
    pipeline.source.on('ended', () => ended++);
    await Promise.all([pipeline.close('bye'), pipeline.close('again')]);
    await pipeline.close('and again');
    await pipeline.ingest.close();
    assert.equal(ended, 1);
    assert.deepEqual(sink.ends, ['stream-ended']);
    assert.equal(pipeline.stats.ingest.connected, false);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => resolve());
    });
    await closeUdp(probe);
    await assert.rejects(pipeline.start(), RtpIngestError);
  });

  test('a receive buffer larger than the OS allows is logged', async () => {
    const logs = capturingLogger();
    const { pipeline } = await udpPipeline({ transport: 'udp', logger: logs.logger, udpReceiveBufferBytes: 1 << 30 });
    assert.ok(logs.messages().some((m) => m.includes('smaller UDP receive buffer')));
    await pipeline.close('done');
  });
});

describe('the native reader against Node\'s, on the same damaged streams', () => {
  test('same frames and same counters for jostled, lossy, duplicated streams with junk and a second SSRC (seeded)', { skip }, async () => {
    const clip = h264Clip();
    // A seed whose losses hit both key frames leaves no frames to compare: the sum must not be small.
    let framesCompared = 0;
    for (const seed of [11, 12, 13, 14]) {
      const rand = seededRandom(seed);
      const { packets } = rtpOf(clip, SSRC, 65000 + seed * 7, randomInt(rand, 200, 1400));
      const damaged: Buffer[] = [];
      for (const p of jostle(packets, seed)) {
        const roll = rand();
        if (roll < 0.02) continue; // lost
        damaged.push(p);
        if (roll > 0.98) damaged.push(p); // duplicated
        // Junk (which may parse as RTP of some SSRC) and another SSRC, once the stream's SSRC has
        // locked the port: under 'first' they are dropped and counted.
        if (roll > 0.5 && roll < 0.51 && damaged.length > 50) damaged.push(randomBytes(rand, randomInt(rand, 1, 40)));
        if (roll > 0.6 && roll < 0.61 && damaged.length > 50) damaged.push(buildRtpPacket({ marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 0xbad }, Buffer.alloc(30)));
      }
      const pipelines = await Promise.all(
        [false, true].map(async (native) => {
          const opened = pipelineWithSink({ transport: 'udp', nativeRtp: native });
          open.push(opened.pipeline);
          await opened.pipeline.start();
          return opened;
        }),
      );
      const camera = await sender();
      for (const { pipeline } of pipelines) await sendUdp(camera, damaged, pipeline.localPort);
      const settled = (o: OpenPipeline) => o.pipeline.stats.ingest.packets + o.pipeline.stats.ingest.badPackets + o.pipeline.stats.ingest.ssrcMismatches;
      await waitFor('both took every datagram', () => pipelines.every((o) => settled(o) === settled(pipelines[0] as OpenPipeline) && settled(o) > 0));
      await delay(300); // the reorder buffers give up their last gaps
      const [node, native] = pipelines as [OpenPipeline, OpenPipeline];
      const counters = (o: OpenPipeline) => {
        const i = o.pipeline.stats.ingest;
        return { packets: i.packets, bytes: i.bytes, lost: i.lost, reordered: i.reordered, duplicates: i.duplicates, late: i.late, bad: i.badPackets, ssrc: i.ssrcMismatches };
      };
      assert.deepEqual(counters(native), counters(node), `seed ${seed}: ingest counters`);
      framesCompared += assertSameOutput(native, node, `seed ${seed}`);
    }
    assert.ok(framesCompared > 60, `frames compared: ${framesCompared}`);
  });
});
