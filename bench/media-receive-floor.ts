/**
 * The floor under any Node.js media server on this machine: a process that only receives N camera
 * streams' packets (UDP datagrams, or TCP with RFC 4571 framing) and does nothing with them,
 * measured as bench/live-streams.ts measures gbvms (receiver CPU from /proc, per stream). Packet
 * rate and size are those of the live-streams benchmark's camera (2 Mbit/s: ~180 packets/s of
 * 1,400 bytes), paced like its simulator (test/sim/media-pacer.ts): every 10 ms each stream sends
 * what has fallen due, over TCP as one write.
 *
 * The packets are RTP (PT 96, seven to a 90 kHz timestamp, the last one marked, as a camera's
 * frames). `--reader=native` receives them with native/rtp-recv's thread instead of Node's
 * sockets, handing JavaScript a frame's packets as one run (ADR 0022): that reader's own floor.
 *
 *   node --import tsx bench/media-receive-floor.ts [--streams=50] [--transport=udp|tcp] [--reader=node|native] [--seconds=10]
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { arg, processCpu } from './lib/server-process';

const PACKET_BYTES = 1400;
const PACKETS_PER_SECOND = 180;

const PACKETS_PER_FRAME = 7;

if (process.argv[2] === '--receiver') {
  const streams = Number(process.argv[3]);
  const transport = process.argv[4];
  const native = process.argv[5] === 'native';
  let bytes = 0;
  const ports: number[] = [];
  const reader = native ? (await import('../src/media/ingest/native-rtp-recv')).sharedRtpReader() : undefined;
  if (reader instanceof Error) throw reader;
  const count = {
    // RTP headers are 12 bytes here: count what the sender wrote.
    run: (run: { payload: Buffer; count: number }) => (bytes += run.payload.length + 12 * run.count),
    datagram: (datagram: Buffer) => (bytes += datagram.length),
    accepted: () => undefined,
    raw: () => undefined,
    data: (chunk: Buffer) => (bytes += chunk.length),
    closed: () => undefined,
    refused: () => undefined,
  };
  for (let i = 0; i < streams; i++) {
    if (reader !== undefined) {
      const socket = transport === 'tcp' ? reader.listen('127.0.0.1', 0, count) : reader.open('127.0.0.1', 0, 4 << 20, count);
      ports.push(socket.port);
    } else if (transport === 'tcp') {
      const server = createServer((socket) => socket.on('data', (chunk) => (bytes += chunk.length)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      ports.push(typeof address === 'object' && address !== null ? address.port : 0);
    } else {
      const socket = createSocket('udp4');
      socket.on('message', (datagram) => (bytes += datagram.length));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      ports.push(socket.address().port);
    }
  }
  process.send?.(ports);
  // Packets received: Node's TCP reads include the 2-byte framing; everything else counted RTP bytes.
  const packetBytes = transport === 'tcp' && !native ? PACKET_BYTES + 2 : PACKET_BYTES;
  process.on('message', () => process.send?.(Math.round(bytes / packetBytes)));
} else {
  const streams = Number(arg('streams', '50'));
  const transport = arg('transport', 'udp') === 'tcp' ? 'tcp' : 'udp';
  const seconds = Number(arg('seconds', '10'));
  const reader = arg('reader', 'node') === 'native' ? 'native' : 'node';
  const child = fork(new URL(import.meta.url).pathname, ['--receiver', String(streams), transport, reader], { execArgv: ['--import', 'tsx'] });
  const ports = await new Promise<number[]>((resolve) => child.once('message', (m) => resolve(m as number[])));
  const ticks = (): number => {
    const { user, sys } = processCpu(child.pid ?? 0);
    return (user + sys) * 100; // in 1/100 s, so that a difference per second reads as % of one core
  };
  // Stream i's next packet: RFC 4571 length, then RTP (UDP sends it without the length).
  const sequence = new Array<number>(streams).fill(0);
  const nextPacket = (i: number): Buffer => {
    const packet = Buffer.alloc(PACKET_BYTES + 2, 0x47);
    const seq = sequence[i] ?? 0;
    sequence[i] = seq + 1;
    packet.writeUInt16BE(PACKET_BYTES, 0);
    packet[2] = 0x80;
    packet[3] = 96 | (seq % PACKETS_PER_FRAME === PACKETS_PER_FRAME - 1 ? 0x80 : 0);
    packet.writeUInt16BE(seq & 0xffff, 4);
    packet.writeUInt32BE((Math.floor(seq / PACKETS_PER_FRAME) * 3600) >>> 0, 6);
    packet.writeUInt32BE(1000 + i, 10);
    return packet;
  };
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const tcp: Socket[] = [];
  if (transport === 'tcp') {
    for (const port of ports) {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      tcp.push(socket);
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  const idleStart = ticks();
  await new Promise((r) => setTimeout(r, 2000));
  const idlePct = (ticks() - idleStart) / 2;
  const before = ticks();
  const start = Date.now();
  const sentPerStream = new Array<number>(streams).fill(0);
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) * PACKETS_PER_SECOND) / 1000);
    for (let i = 0; i < streams; i++) {
      const count = due - (sentPerStream[i] ?? 0);
      if (count <= 0) continue;
      sentPerStream[i] = due;
      const packets = Array.from({ length: count }, () => nextPacket(i));
      if (transport === 'tcp') tcp[i]?.write(count === 1 ? (packets[0] as Buffer) : Buffer.concat(packets));
      else for (const packet of packets) udp.send(packet.subarray(2), ports[i] ?? 0, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const sent = sentPerStream.reduce((a, b) => a + b, 0);
  await new Promise((r) => setTimeout(r, 300));
  const pct = (ticks() - before) / seconds - idlePct; // ticks are 1/100 s
  child.send('bytes');
  const received = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  console.log(
    `${streams} ${transport.toUpperCase()} streams x ${PACKETS_PER_SECOND} packets/s: ${sent} sent, ${received} received (${reader} reader); ` +
      `receiver ${pct.toFixed(1)}% of one core above idle (${idlePct.toFixed(1)}%) = ${(pct / streams).toFixed(3)}% per stream`,
  );
  udp.close();
  for (const s of tcp) s.destroy();
  child.kill();
}
