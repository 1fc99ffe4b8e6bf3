import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RtpIngestError } from '../../../src/media/ingest/errors';
import type { StreamPipeline } from '../../../src/media/ingest/stream-pipeline';
import { frameForTcp } from '../../../src/media/rtp/tcp-framer';
import { freePort } from '../../helpers/ports';
import {
  assertSameFrames,
  closed,
  delay,
  h264Clip,
  pipelineWithSink,
  rtpOf,
  skipWithoutFfmpeg as skip,
  waitFor,
  writeAll,
  type OpenPipeline,
} from './helpers';

const SSRC = 0x0200_0000 + 99;
const open: StreamPipeline[] = [];
const servers: Server[] = [];

after(async () => {
  await Promise.all(open.map((p) => p.close('test over')));
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** Which reader the suite below runs against: Node's socket, or native/rtp-recv's thread (ADR 0022). */
let nativeRtp = false;

function activePipeline(options: Partial<Parameters<typeof pipelineWithSink>[0]> = {}): OpenPipeline {
  const opened = pipelineWithSink({ transport: 'tcp-active', connectTimeoutMs: 1500, nativeRtp, ...options });
  open.push(opened.pipeline);
  return opened;
}

function assertReader(pipeline: StreamPipeline): void {
  assert.equal(pipeline.stats.ingest.reader, nativeRtp ? 'native' : 'node', 'the reader under test reads the connection (a native build is required)');
}

/** A camera's TCP listener: resolves each accepted connection in turn. */
function cameraListener(port = 0): { server: Server; listening: Promise<number>; accepted: Promise<Socket> } {
  let accept: (s: Socket) => void = () => undefined;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    accept(socket);
  });
  servers.push(server);
  const listening = new Promise<number>((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    }),
  );
  return { server, listening, accepted };
}

for (const reader of ['node', 'native'] as const) describe(`RTP over TCP, active (we connect to the camera; ${reader} reader)`, () => {
  before(() => {
    nativeRtp = reader === 'native';
  });

  test('an H.264 clip from the camera we connected to comes out as its 50 frames, 640x360', { skip }, async () => {
    const clip = h264Clip();
    const cam = cameraListener();
    const port = await cam.listening;
    const { pipeline, sink } = activePipeline();
    await pipeline.start();
    await pipeline.connect('127.0.0.1', port);
    assertReader(pipeline);
    const socket = await cam.accepted;
    await writeAll(socket, Buffer.concat(rtpOf(clip, SSRC).packets.map(frameForTcp)));
    await waitFor('50 frames', () => sink.video.length === 50);
    assertSameFrames(sink.video, clip.frames, 'tcp active');
    assert.deepEqual([sink.starts[0]?.video?.width, sink.starts[0]?.video?.height], [640, 360]);
    const { ingest } = pipeline.stats;
    assert.equal(ingest.connected, true);
    assert.equal(ingest.remote, `127.0.0.1:${port}`);
    assert.equal(pipeline.localPort, socket.remotePort);

    socket.end();
    await waitFor('the camera hung up', () => !pipeline.stats.ingest.connected);
    assert.equal(pipeline.stats.ingest.remote, `127.0.0.1:${port}`, 'the last peer stays in the stats');
  });

  test('a camera that sends the moment it accepts loses nothing to the hand-over, and is reached again after it hung up', { skip }, async () => {
    const clip = h264Clip();
    const packets = rtpOf(clip, SSRC).packets.map(frameForTcp);
    const cameras: Socket[] = [];
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      cameras.push(socket);
      // Everything at once, before our side could have set anything up; then hang up.
      socket.end(Buffer.concat(packets));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { pipeline, sink } = activePipeline();
    for (let round = 1; round <= 2; round++) {
      await pipeline.connect('127.0.0.1', port);
      assertReader(pipeline);
      await waitFor(`round ${round}: 50 more frames`, () => sink.video.length === 50 * round);
      await waitFor(`round ${round}: the camera hung up`, () => !pipeline.stats.ingest.connected);
    }
    assertSameFrames(sink.video.slice(50), clip.frames, 'after reconnecting');
    const { ingest } = pipeline.stats;
    assert.equal(ingest.connections, 2);
    assert.equal(ingest.packets, 2 * packets.length);
    assert.equal(ingest.lost, 0);
    assert.equal(ingest.framingBytesDropped, 0);
  });

  test('a camera that opens its listener late is reached by retrying', { skip }, async () => {
    const clip = h264Clip();
    const port = await freePort();
    const { pipeline, sink } = activePipeline({ connectTimeoutMs: 3000, connectRetryDelayMs: 100 });
    const started = Date.now();
    const connecting = pipeline.connect('127.0.0.1', port);
    await delay(400);
    const cam = cameraListener(port);
    await cam.listening;
    await connecting;
    assert.ok(Date.now() - started >= 400);
    const socket = await cam.accepted;
    await writeAll(socket, Buffer.concat(rtpOf(clip, SSRC).packets.map(frameForTcp)));
    await waitFor('50 frames', () => sink.video.length === 50);
  });

  test('the connection is made from the configured local port', async () => {
    const cam = cameraListener();
    const port = await cam.listening;
    const localPort = await freePort();
    const { pipeline } = activePipeline({ port: localPort });
    await pipeline.connect('127.0.0.1', port);
    const socket = await cam.accepted;
    assert.equal(socket.remotePort, localPort);
    assert.equal(pipeline.localPort, localPort);
  });

  test('connecting where nobody listens fails with a clear error within the timeout', async () => {
    const port = await freePort();
    const { pipeline } = activePipeline({ connectTimeoutMs: 600, connectRetryDelayMs: 100 });
    const started = Date.now();
    await assert.rejects(pipeline.connect('127.0.0.1', port), (err: unknown) => {
      assert.ok(err instanceof RtpIngestError);
      assert.equal(err.failure, 'connect-failed');
      assert.equal(err.errno, 'ECONNREFUSED');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} within 600 ms \\(\\d+ attempts, last error ECONNREFUSED\\)`));
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400 && elapsed < 1000, `gave up after ${elapsed} ms`);
    assert.equal(pipeline.stats.ingest.connected, false);
  });

  test('close() while connecting abandons the attempt at once', async () => {
    const port = await freePort();
    const { pipeline, sink } = activePipeline({ connectTimeoutMs: 3000 });
    const connecting = pipeline.connect('127.0.0.1', port);
    await delay(50);
    const started = Date.now();
    await pipeline.close('hung up');
    await assert.rejects(connecting, (err: unknown) => err instanceof RtpIngestError && err.failure === 'closed');
    assert.ok(Date.now() - started < 200);
    assert.deepEqual(sink.ends, ['stream-ended']);
  });

  test('connect() twice, or on another transport, is refused', async () => {
    const cam = cameraListener();
    const port = await cam.listening;
    const { pipeline } = activePipeline();
    await pipeline.connect('127.0.0.1', port);
    await assert.rejects(pipeline.connect('127.0.0.1', port), (err: unknown) => err instanceof RtpIngestError && err.failure === 'wrong-state');
    const udp = pipelineWithSink({ transport: 'udp' }).pipeline;
    open.push(udp);
    await assert.rejects(udp.connect('127.0.0.1', port), (err: unknown) => err instanceof RtpIngestError && err.failure === 'wrong-state');
  });

  test('close() twice closes the connection to the camera and ends the source', async () => {
    const cam = cameraListener();
    const port = await cam.listening;
    const { pipeline, sink } = activePipeline();
    await pipeline.connect('127.0.0.1', port);
    const socket = await cam.accepted;
    await Promise.all([pipeline.close('bye'), pipeline.close('bye')]);
    await pipeline.close('bye');
    await closed(socket);
    assert.equal(pipeline.stats.ingest.connected, false);
    assert.deepEqual(sink.ends, ['stream-ended']);
    await assert.rejects(pipeline.connect('127.0.0.1', port), (err: unknown) => err instanceof RtpIngestError && err.failure === 'closed');
  });
});
