/**
 * native/rtp-recv over real sockets: what its thread reads reaches JavaScript whole, in order,
 * with its source, in batches; closing stops it; a stalled JavaScript thread costs datagrams
 * (counted), not memory without bound. GBVMS_RTP_RECV_ADDON points at another build of the
 * addon (test/native/sanitized-addons.test.ts runs this file against a sanitizer build).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { formatIPv6, loadRtpRecvAddon, NativeRtpReader, type RtpBatchHandler } from '../../../src/media/ingest/native-rtp-recv';
import { floodWhileBusy } from '../../helpers/udp-flood';
import { closeUdp, delay, waitFor } from './helpers';

type Addon = ConstructorParameters<typeof NativeRtpReader>[0];

function addon(): Addon {
  const loaded = loadRtpRecvAddon();
  if ('error' in loaded) throw new Error(`native/rtp-recv is not built (npm ci builds it with node-gyp): ${loaded.error.message}`);
  return loaded.addon;
}

const readers: NativeRtpReader[] = [];
const senders: Socket[] = [];
after(async () => {
  for (const r of readers) r.close();
  await Promise.all(senders.map(closeUdp));
});

/** Datagrams only: these tests send bytes that are not RTP, which the reader hands over as they came. */
function datagrams(fn: (data: Buffer, address: string, port: number) => void): RtpBatchHandler {
  return {
    datagram: fn,
    run: () => assert.fail('a run from datagrams that are not RTP'),
  };
}

function reader(batchMs = 5): NativeRtpReader {
  const r = new NativeRtpReader(addon(), batchMs);
  readers.push(r);
  return r;
}

async function sender(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  senders.push(s);
  await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve()));
  return s;
}

function send(s: Socket, data: Buffer, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, host, (err) => (err ? reject(err) : resolve())));
}

interface Got {
  data: Buffer;
  address: string;
  port: number;
}

test('datagrams of several sockets reach their handlers whole, in order, with their source', async () => {
  const r = reader();
  const got: Got[][] = [[], [], []];
  const sockets = got.map((list) => r.open('127.0.0.1', 0, 1 << 20, datagrams((data, address, port) => list.push({ data: Buffer.from(data), address, port }))));
  const camera = await sender();
  const sizes = [1, 12, 1400, 9000, 65000];
  const sent: Buffer[][] = [[], [], []];
  for (let i = 0; i < 60; i++) {
    const which = i % 3;
    const data = Buffer.alloc(sizes[i % sizes.length] ?? 1, i);
    data.writeUInt8(which, 0);
    sent[which]?.push(data);
    await send(camera, data, sockets[which]?.port ?? 0);
  }
  await waitFor('all 60', () => got.reduce((n, l) => n + l.length, 0) === 60);
  for (let k = 0; k < 3; k++) {
    assert.deepEqual(
      got[k]?.map((g) => g.data),
      sent[k],
      `socket ${k}: the same bytes in the same order`,
    );
    for (const g of got[k] ?? []) assert.deepEqual([g.address, g.port], ['127.0.0.1', camera.address().port]);
  }
  assert.equal(r.socketStats(sockets[0]?.id ?? 0)?.datagrams, 20);
  for (const s of sockets) s.close();
});

test('a burst arrives in fewer JavaScript calls than datagrams (the point of the thread)', async () => {
  const r = reader(20);
  const turns: number[] = [];
  let turn = 0;
  const tick = setInterval(() => turn++, 1);
  const socket = r.open('127.0.0.1', 0, 1 << 20, datagrams(() => turns.push(turn)));
  const camera = await sender();
  await Promise.all(Array.from({ length: 200 }, (_, i) => send(camera, Buffer.alloc(1000, i % 64), socket.port)));
  await waitFor('200 datagrams', () => turns.length === 200);
  clearInterval(tick);
  const calls = new Set(turns).size;
  assert.ok(calls < 50, `200 datagrams in ${calls} event-loop turns`);
  socket.close();
});

test('IPv6: the sender is named as Node names it', async () => {
  const r = reader();
  const got: Got[] = [];
  const socket = r.open('::1', 0, 1 << 20, datagrams((data, address, port) => got.push({ data: Buffer.from(data), address, port })));
  const camera = await sender('udp6');
  await send(camera, Buffer.from('hello'), socket.port, '::1');
  await waitFor('one datagram', () => got.length === 1);
  assert.deepEqual([got[0]?.data.toString(), got[0]?.address, got[0]?.port], ['hello', '::1', camera.address().port]);
  socket.close();
});

test('formatIPv6 writes addresses as inet_ntop does', () => {
  const cases: Array<[string, string]> = [
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000202b3fffe1e8329', 'fe80::202:b3ff:fe1e:8329'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ];
  for (const [hex, text] of cases) assert.equal(formatIPv6(Buffer.from(hex, 'hex')), text);
});

test('a port in use fails open() with EADDRINUSE; a closed socket frees its port and goes quiet', async () => {
  const r = reader();
  const got: number[] = [];
  const socket = r.open('127.0.0.1', 0, 1 << 20, datagrams(() => got.push(1)));
  assert.throws(() => r.open('127.0.0.1', socket.port, 1 << 20, datagrams(() => undefined)), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
  const camera = await sender();
  await send(camera, Buffer.from('one'), socket.port);
  await waitFor('one datagram', () => got.length === 1);
  socket.close();
  socket.close();
  const probe = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind(socket.port, '127.0.0.1', () => resolve());
  });
  await closeUdp(probe);
  assert.equal(r.socketStats(socket.id), undefined);
  assert.throws(() => r.open('no-such-host', 0, 0, datagrams(() => undefined)), /not an IPv4 address/);
});

test('a stalled JavaScript thread costs datagrams beyond 8 MiB, counted; the rest arrive intact, in order', async () => {
  const r = reader();
  const got: number[] = [];
  const socket = r.open('127.0.0.1', 0, 32 << 20, datagrams((data) => got.push(data.readUInt32BE(0))));
  // 24 MB, paced (8 per millisecond) so that the kernel's receive buffer never overflows: every loss is the reader's.
  await floodWhileBusy({ port: socket.port, datagrams: 400, size: 60000, perTick: 8, tickMs: 1, numbered: true });
  await waitFor('delivery', () => got.length > 0);
  await delay(100);
  const stats = r.socketStats(socket.id);
  assert.ok(stats !== undefined);
  assert.ok(socket.dropped > 0, `dropped ${socket.dropped}`);
  assert.equal(stats.datagrams, got.length, 'everything kept was delivered');
  assert.equal(stats.datagrams + socket.dropped, 400, 'each datagram either kept or counted as dropped');
  assert.ok(got.length * 60000 <= 8 << 20, `held at most 8 MiB (${got.length} datagrams)`);
  assert.deepEqual(got, [...got].sort((a, b) => a - b), 'in order');
  const dropped = socket.dropped;
  socket.close();
  assert.equal(socket.dropped, dropped, 'the count outlives the socket (the stream\'s final stats, /metrics)');
});

test('a worker that ends with its sockets open does not take the process with it', async () => {
  const path = process.env.GBVMS_RTP_RECV_ADDON ?? '';
  const worker = new Worker(
    `
    const { createRequire } = require('node:module');
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = workerData.path ? require(workerData.path) : createRequire(workerData.base)('gbvms-rtp-recv');
    const reader = addon.createReader(() => parentPort.postMessage('batch'), 5);
    const socket = addon.open(reader, '127.0.0.1', 0, false, 1 << 20, false);
    parentPort.postMessage(socket.port);
    `,
    { eval: true, workerData: { path, base: import.meta.url } },
  );
  const messages: unknown[] = [];
  worker.on('message', (m) => messages.push(m));
  await waitFor('port', () => messages.length > 0);
  const camera = await sender();
  await send(camera, Buffer.from('x'), messages[0] as number);
  await waitFor('a batch', () => messages.includes('batch'));
  const code = await worker.terminate();
  assert.equal(code, 1, 'terminated');
  await delay(50);
  await send(camera, Buffer.from('after'), messages[0] as number).catch(() => undefined);
});

test('without open sockets the reader does not keep the event loop alive; a closed reader refuses open()', async () => {
  const r = new NativeRtpReader(addon(), 5);
  const s = r.open('127.0.0.1', 0, 0, datagrams(() => undefined));
  s.close();
  r.close();
  r.close();
  assert.throws(() => r.open('127.0.0.1', 0, 0, datagrams(() => undefined)), /closed/);
  const worker = new Worker(
    `
    const { createRequire } = require('node:module');
    const { workerData } = require('node:worker_threads');
    const addon = workerData.path ? require(workerData.path) : createRequire(workerData.base)('gbvms-rtp-recv');
    const reader = addon.createReader(() => undefined, 5);
    const socket = addon.open(reader, '127.0.0.1', 0, false, 0, false);
    addon.close(reader, socket.id);
    `,
    { eval: true, workerData: { path: process.env.GBVMS_RTP_RECV_ADDON ?? '', base: import.meta.url } },
  );
  const code = await Promise.race([new Promise<number>((resolve) => worker.once('exit', resolve)), delay(3000).then(() => -1)]);
  if (code === -1) await worker.terminate();
  assert.equal(code, 0, 'the worker ended by itself');
});

test('RTP packets in sequence with one timestamp arrive as runs; anything else as it came, all in order', async () => {
  const r = reader(50);
  const seen: string[] = [];
  let runs = 0;
  let longest = 0;
  const socket = r.open('127.0.0.1', 0, 1 << 20, {
    datagram: (data) => seen.push(`datagram ${data.length}`),
    run: (run, address, port) => {
      runs++;
      longest = Math.max(longest, run.count);
      let at = 0;
      for (let i = 0; i < run.count; i++) {
        const length = run.lengths.readUInt16BE(2 * i);
        const payload = run.payload.subarray(at, at + length).toString();
        at += length;
        const marker = run.marker && i === run.count - 1;
        seen.push(`rtp ${port === a.address().port ? 'A' : 'B'} ${address} seq=${(run.firstSequence + i) & 0xffff} ts=${run.timestamp} ssrc=${run.ssrc} pt=${run.payloadType} m=${marker} ${payload}`);
      }
      assert.equal(at, run.payload.length, 'the lengths cover the payload');
    },
  });
  const a = await sender();
  const b = await sender();
  const rtp = (seq: number, ts: number, marker: boolean, payload: string, extra: { ssrc?: number; padding?: number; csrc?: number } = {}) => {
    const csrc = extra.csrc ?? 0;
    const pad = extra.padding ?? 0;
    const out = Buffer.alloc(12 + csrc * 4 + payload.length + pad);
    out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | csrc;
    out[1] = (marker ? 0x80 : 0) | 96;
    out.writeUInt16BE(seq & 0xffff, 2);
    out.writeUInt32BE(ts, 4);
    out.writeUInt32BE(extra.ssrc ?? 7, 8);
    out.write(payload, 12 + csrc * 4);
    if (pad > 0) out[out.length - 1] = pad;
    return out;
  };
  const rtcp = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 7]);
  const sends: Array<[ReturnType<typeof createSocket>, Buffer]> = [
    [a, rtp(65534, 3600, false, 'f1p1')],
    [a, rtp(65535, 3600, false, 'f1p2', { csrc: 2 })],
    [a, rtp(0, 3600, false, 'f1p3', { padding: 3 })],
    [a, rtp(1, 3600, true, 'f1p4')],
    [a, rtp(2, 7200, false, 'f2p1')],
    [a, rtcp],
    [a, rtp(3, 7200, true, 'f2p2')],
    [a, Buffer.from([0x80, 96, 0, 4, 0, 0])],
    [b, rtp(4, 7200, false, 'stray')],
    [a, rtp(6, 10800, false, 'f3p1')],
    [a, rtp(7, 10800, false, 'f3p2', { ssrc: 8 })],
  ];
  for (const [from, data] of sends) from.send(data, socket.port, '127.0.0.1');
  await waitFor('all 11', () => seen.length === 11);
  assert.deepEqual(seen, [
    'rtp A 127.0.0.1 seq=65534 ts=3600 ssrc=7 pt=96 m=false f1p1',
    'rtp A 127.0.0.1 seq=65535 ts=3600 ssrc=7 pt=96 m=false f1p2',
    'rtp A 127.0.0.1 seq=0 ts=3600 ssrc=7 pt=96 m=false f1p3',
    'rtp A 127.0.0.1 seq=1 ts=3600 ssrc=7 pt=96 m=true f1p4',
    'rtp A 127.0.0.1 seq=2 ts=7200 ssrc=7 pt=96 m=false f2p1',
    'datagram 8',
    'rtp A 127.0.0.1 seq=3 ts=7200 ssrc=7 pt=96 m=true f2p2',
    'datagram 6',
    'rtp B 127.0.0.1 seq=4 ts=7200 ssrc=7 pt=96 m=false stray',
    'rtp A 127.0.0.1 seq=6 ts=10800 ssrc=7 pt=96 m=false f3p1',
    'rtp A 127.0.0.1 seq=7 ts=10800 ssrc=8 pt=96 m=false f3p2',
  ]);
  assert.ok(longest >= 2 && runs < 9, `a frame's packets came as one run (${runs} runs, longest ${longest})`);
  socket.close();
});

test('adopt() takes only a connected TCP socket, and reads it on after Node.js has closed its own descriptor', async () => {
  const r = reader();
  const fdOf = (handle: unknown): number => {
    const fd = (handle as { _handle?: { fd?: number } })._handle?.fd;
    assert.ok(typeof fd === 'number' && fd >= 0, 'libuv exposes the descriptor on Linux');
    return fd;
  };
  const tcpHandler = (got: Buffer[], closed: () => void): Parameters<NativeRtpReader['adopt']>[1] => ({
    ...datagrams((data) => got.push(Buffer.from(data))),
    accepted: () => assert.fail('no accept for an adopted connection'),
    raw: () => undefined,
    data: () => assert.fail('plain framing stays on the thread'),
    closed,
    refused: () => assert.fail('nothing to refuse'),
  });
  const udp = await sender();
  assert.throws(() => r.adopt(fdOf(udp), tcpHandler([], () => undefined)), /not a connected TCP socket/);
  assert.throws(() => r.adopt(1 << 30, tcpHandler([], () => undefined)), /dup/);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  assert.throws(() => r.adopt(fdOf(server), tcpHandler([], () => undefined)), /not a connected TCP socket/, 'a listener is not a connection');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const accepted = new Promise<NetSocket>((resolve) => server.once('connection', resolve));
  const ours = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => ours.once('connect', () => resolve()));
  const camera = await accepted;
  const got: Buffer[] = [];
  let ended = false;
  const socket = r.adopt(fdOf(ours), tcpHandler(got, () => (ended = true)));
  ours.destroy();
  // RFC 4571 frames of RTCP-like bytes: handed over as datagrams, one per frame.
  const rtcp = Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 1]);
  camera.end(Buffer.concat([Buffer.from([0, 8]), rtcp, Buffer.from([0, 8]), rtcp]));
  await waitFor('two packets, then the end', () => got.length === 2 && ended);
  assert.deepEqual(got, [rtcp, rtcp]);
  socket.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
