import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { createMediaHttpServer, type MediaHttpServer } from '../../../../src/media/out/http/media-http-server';
import { MediaSource } from '../../../../src/media/source/media-source';
import { silentLogger } from '../../../../src/logger';
import { hasFfmpeg } from '../../helpers/media-files';
import { collectHttp } from './helpers/clients';
import { isVideoFrameTag, readFlvPrefix } from './helpers/flv-reader';
import { startLiveFeed, type LiveFeed } from './helpers/live-feed';

const CAM = '34020000001320000031';
const HEAVY = '34020000001320000032';

const WS_HANDSHAKE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** A client that asks for a stream (over HTTP, or as a WebSocket) and then never reads a byte. */
function stuckViewer(port: number, stream: string, websocket = false): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(`GET /live/${stream}.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n${websocket ? WS_HANDSHAKE : ''}\r\n`);
    socket.pause();
  });
  return socket;
}

function until(check: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const poll = (): void => {
      if (check()) resolve(true);
      else if (Date.now() - started > ms) resolve(false);
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('FLV viewers come and go without hurting each other', { skip: !hasFfmpeg && 'ffmpeg is not installed (test clips)' }, () => {
  const feeds = new Map<string, LiveFeed>();
  const servers: MediaHttpServer[] = [];
  const sockets: Socket[] = [];

  async function startServer(sources: Map<string, MediaSource>): Promise<{ server: MediaHttpServer; port: number }> {
    const server = createMediaHttpServer({ host: '127.0.0.1', port: 0, sources, tokens: null, hlsFirstSegmentWaitMs: 5000, flvStallTimeoutMs: 800, logger: silentLogger() });
    servers.push(server);
    return { server, port: (await server.listen()).port };
  }

  function sourcesOf(...names: string[]): Map<string, MediaSource> {
    return new Map(names.map((n) => [n, feeds.get(n)?.source]).filter((e): e is [string, MediaSource] => e[1] !== undefined));
  }

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const s of sockets) s.destroy();
    for (const f of feeds.values()) f.stop();
  });

  test('viewers that never read (HTTP and WebSocket) are skipped, then dropped, while another viewer gets every frame on time', async () => {
    // Noise makes ~140 KB frames (3.4 MB/s), so a stuck socket fills the kernel's buffers within a second.
    feeds.set(HEAVY, startLiveFeed(HEAVY, { codec: 'h264', clip: 'h264-noise.h264', source: { slowSkipBytes: 256 * 1024, slowDropBytes: 1024 * 1024 } }));
    const { server, port } = await startServer(sourcesOf(HEAVY));
    const source = feeds.get(HEAVY)?.source;
    assert.ok(source);
    sockets.push(stuckViewer(port, HEAVY), stuckViewer(port, HEAVY, true));
    assert.ok(await until(() => server.stats().httpFlvViewers === 1 && server.stats().wsFlvViewers === 1, 1000));
    const before = feeds.get(HEAVY)?.pushed ?? 0;
    const watching = collectHttp(`http://127.0.0.1:${port}/live/${HEAVY}.flv`, 2500);
    // Over its skip threshold a stuck viewer gets nothing more, its backlog stops shrinking, and the stall watchdog (800 ms here) cuts it off.
    assert.ok(await until(() => source.viewers === 1 && server.stats().wsFlvViewers === 0, 2200), `stuck viewers still attached: ${JSON.stringify(server.stats())}`);
    assert.ok(source.stats.slowSkips + source.stats.slowDrops >= 2, JSON.stringify(source.stats));
    const got = await watching;
    const pushedMeanwhile = (feeds.get(HEAVY)?.pushed ?? 0) - before;
    const frames = readFlvPrefix(got.body).tags.filter(isVideoFrameTag).length;
    assert.ok(frames >= pushedMeanwhile - 5, `the reading viewer got ${frames} of the ${pushedMeanwhile} frames pushed while it watched`);
    const gaps = got.chunks.slice(1).map((c, i) => c.at - (got.chunks[i]?.at ?? 0));
    assert.ok(Math.max(...gaps) < 400, `longest pause between chunks ${Math.round(Math.max(...gaps))} ms`);
    assert.ok(await until(() => source.viewers === 0, 500));
  });

  test('a client that disconnects stops counting as a viewer at once, over HTTP and WebSocket', async () => {
    feeds.set(CAM, startLiveFeed(CAM, { codec: 'h264', clip: 'h264-320x240.h264' }));
    const { server, port } = await startServer(sourcesOf(CAM));
    const source = feeds.get(CAM)?.source;
    assert.ok(source);
    const counts: number[] = [];
    source.on('viewers', (n) => counts.push(n));

    const req = get(`http://127.0.0.1:${port}/live/${CAM}.flv`);
    const httpData = new Promise<void>((resolve) => req.on('response', (res) => res.once('data', () => resolve())));
    req.on('error', () => undefined);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/${CAM}.flv`);
    const wsData = new Promise<void>((resolve) => ws.once('message', () => resolve()));
    await Promise.all([httpData, wsData]);
    assert.equal(source.viewers, 2);
    assert.deepEqual(server.stats(), { ...server.stats(), httpFlvViewers: 1, wsFlvViewers: 1 });

    req.destroy();
    assert.ok(await until(() => source.viewers === 1, 200), 'HTTP viewer detached');
    ws.terminate();
    assert.ok(await until(() => source.viewers === 0, 200), 'WS viewer detached');
    assert.deepEqual(counts, [1, 2, 1, 0]);
    assert.equal(server.stats().httpFlvViewers + server.stats().wsFlvViewers, 0);
  });

  test('when the stream ends, HTTP-FLV responses end and WS-FLV closes with 1000', async () => {
    const source = new MediaSource('ending');
    const { port } = await startServer(new Map([['ending', source]]));
    const ended = new Promise<void>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/live/ending.flv`, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }).on('error', reject);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/ending.flv`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    assert.ok(await until(() => source.viewers === 2, 1000));
    source.end('camera hung up');
    await ended;
    assert.equal(await closed, 1000);
  });

  test('close() with FLV, WS-FLV, stuck, idle and waiting HLS clients connected finishes within 1 s', async () => {
    const live = startLiveFeed('closing', { codec: 'h264', clip: 'h264-320x240.h264' });
    feeds.set('closing', live);
    const silent = new MediaSource('silent'); // no frames: its HLS playlist request stays waiting
    const { server, port } = await startServer(new Map([['closing', live.source], ['silent', silent]]));
    const base = `http://127.0.0.1:${port}`;
    const flvDone = new Promise<void>((resolve) => {
      get(`${base}/live/closing.flv`, (res) => {
        res.resume();
        res.on('close', () => resolve());
      }).on('error', () => resolve());
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/closing.flv`);
    const wsDone = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.on('error', () => undefined);
    sockets.push(stuckViewer(port, 'closing'));
    const idle = await fetch(`${base}/nothing`); // leaves a keep-alive connection behind
    await idle.text();
    const waitingHls = fetch(`${base}/live/silent/index.m3u8`).then(
      (r) => r.status,
      () => 'aborted',
    );
    assert.ok(await until(() => live.source.viewers === 3 && silent.viewers === 1, 1000), `viewers ${live.source.viewers}, ${silent.viewers}`);

    const started = performance.now();
    await server.close();
    const took = performance.now() - started;
    assert.ok(took < 1000, `close() took ${Math.round(took)} ms`);
    assert.equal(live.source.viewers, 0);
    assert.equal(silent.viewers, 0);
    await Promise.all([flvDone, wsDone, waitingHls]);
    silent.end('test over');
  });
});
