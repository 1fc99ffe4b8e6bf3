import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { AccessUnit, MediaParams } from '../../src/media/codec/types';
import { AudioPacketizer } from '../../src/media/broadcast/audio-packets';
import { AudioSender, type AudioSendEnd } from '../../src/media/broadcast/audio-sender';
import { alawToLinear, alawToUlaw, linearToUlaw, ulawToLinear } from '../../src/media/broadcast/g711';
import { TcpAcceptSender, tcpConnectSender, udpSender } from '../../src/media/broadcast/rtp-send-transport';
import { silentLogger } from '../../src/logger';
import { PsDemuxer } from '../../src/media/ps/demuxer';
import { parseRtpPacket } from '../../src/media/rtp/packet';

/** A-law bytes of a slow ramp, so every value appears. */
function alaw(samples: number): Buffer {
  const b = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) b[i] = i & 0xff;
  return b;
}

describe('G.711', () => {
  test('A-law decodes to the ITU-T values at the ends of its range', () => {
    assert.equal(alawToLinear(0xd5), 8);
    assert.equal(alawToLinear(0x55), -8);
    assert.equal(alawToLinear(0xaa), 32256);
    assert.equal(alawToLinear(0x2a), -32256);
  });

  test('µ-law round-trips its own values, and A-law re-coded as µ-law keeps every sample within one step', () => {
    for (let u = 0; u < 256; u++) {
      if (u === 0x7f) continue; // -0 and +0 are one value
      assert.equal(linearToUlaw(ulawToLinear(u)), u, `µ-law ${u}`);
    }
    const a = alaw(256);
    const u = alawToUlaw(a);
    for (let i = 0; i < 256; i++) {
      const want = alawToLinear(a[i] ?? 0);
      const got = ulawToLinear(u[i] ?? 0);
      assert.ok(Math.abs(got - want) <= Math.max(16, Math.abs(want) / 16), `A-law ${i}: ${want} became ${got}`);
    }
  });
});

describe('audio RTP packets', () => {
  test('PCMA: 160 samples per packet, timestamps step 160, sequence numbers step 1, the marker on the first', () => {
    const p = new AudioPacketizer(alaw(8000 + 80), { format: 'PCMA', payloadType: 8, ssrc: 1234, initialSequenceNumber: 65534, initialTimestamp: 2 ** 32 - 160 });
    assert.equal(p.count, 51);
    const packets = Array.from({ length: p.count }, (_, i) => p.packet(i)).flat().map((b) => parseRtpPacket(b));
    assert.equal(packets.length, 51);
    assert.equal(packets[0]?.marker, true);
    assert.equal(packets[1]?.marker, false);
    assert.deepEqual(packets.slice(0, 3).map((r) => r?.sequenceNumber), [65534, 65535, 0]);
    assert.deepEqual(packets.slice(0, 3).map((r) => r?.timestamp), [2 ** 32 - 160, 0, 160]);
    assert.ok(packets.every((r) => r?.payloadType === 8 && r.ssrc === 1234));
    assert.equal(packets[0]?.payload.length, 160);
    assert.equal(packets[50]?.payload.length, 80, 'the last packet holds what is left');
  });

  test('PCMU packets carry the clip re-coded as µ-law', () => {
    const a = alaw(320);
    const p = new AudioPacketizer(a, { format: 'PCMU', payloadType: 0, ssrc: 1 });
    assert.deepEqual(parseRtpPacket(p.packet(1)[0] ?? Buffer.alloc(0))?.payload, alawToUlaw(a).subarray(160, 320));
  });

  test('PS: packets on the 90 kHz clock (step 1800) that our own demuxer reads back as G.711A audio frames', () => {
    const a = alaw(1600);
    const p = new AudioPacketizer(a, { format: 'PS', payloadType: 96, ssrc: 7, initialTimestamp: 90000 });
    const frames: AccessUnit[] = [];
    const params: MediaParams[] = [];
    const demuxer = new PsDemuxer({ onFrame: (f) => frames.push(f), onParams: (x) => params.push(x) });
    const timestamps: number[] = [];
    for (let i = 0; i < p.count; i++) {
      for (const b of p.packet(i)) {
        const rtp = parseRtpPacket(b);
        assert.ok(rtp);
        assert.equal(rtp.payloadType, 96);
        timestamps.push(rtp.timestamp);
        demuxer.push(rtp.payload, rtp.timestamp, rtp.marker);
      }
    }
    demuxer.flush();
    assert.deepEqual(timestamps.slice(1).map((t, i) => t - (timestamps[i] ?? 0)), Array(9).fill(1800));
    assert.ok(frames.length >= 9, `${frames.length} audio frames`);
    assert.ok(frames.every((f) => f.kind === 'audio' && f.codec === 'g711a'));
    assert.deepEqual(Buffer.concat(frames.map((f) => f.data)), a.subarray(0, frames.length * 160));
    assert.ok(params.some((x) => x.kind === 'audio'));
  });
});

describe('audio sender', () => {
  async function receiver(): Promise<{ port: number; packets: Array<{ at: number; ts: number }>; close: () => void }> {
    const socket = createSocket('udp4');
    const packets: Array<{ at: number; ts: number }> = [];
    socket.on('message', (b) => {
      const rtp = parseRtpPacket(b);
      if (rtp) packets.push({ at: performance.now(), ts: rtp.timestamp });
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return { port: socket.address().port, packets, close: () => socket.close() };
  }

  test('a 400 ms clip leaves as 20 packets paced over ~400 ms, then ends as complete', async () => {
    const rx = await receiver();
    try {
      const transport = await udpSender({ host: '127.0.0.1', port: 0 }, { address: '127.0.0.1', port: rx.port }, silentLogger());
      const sender = new AudioSender(alaw(3200), { format: 'PCMA', payloadType: 8, ssrc: 9 }, transport);
      const t0 = performance.now();
      const end = new Promise<AudioSendEnd>((r) => sender.once('end', r));
      sender.start();
      assert.equal(await end, 'complete');
      const elapsed = performance.now() - t0;
      // The lower bound shows pacing (a burst would take ~1 ms); the upper only that it ends: on a
      // loaded machine timers run late and the last packets leave late with them.
      assert.ok(elapsed >= 390 && elapsed < 2000, `took ${elapsed} ms`);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(rx.packets.length, 20);
      assert.equal(sender.stats.packets, 20);
      const spread = (rx.packets[19]?.at ?? 0) - (rx.packets[0]?.at ?? 0);
      // A loaded machine may stall the timer and send a few due packets together; a burst would be ~0 ms.
      assert.ok(spread >= 200, `packets spread over ${spread} ms, not a burst`);
    } finally {
      rx.close();
    }
  });

  test('stop() ends it early with what was sent so far', async () => {
    const rx = await receiver();
    try {
      const transport = await udpSender({ host: '127.0.0.1', port: 0 }, { address: '127.0.0.1', port: rx.port }, silentLogger());
      const sender = new AudioSender(alaw(80000), { format: 'PCMA', payloadType: 8, ssrc: 9 }, transport);
      const end = new Promise<AudioSendEnd>((r) => sender.once('end', r));
      sender.start();
      await new Promise((r) => setTimeout(r, 200));
      sender.stop();
      assert.equal(await end, 'stopped');
      const sent = sender.stats.packets;
      assert.ok(sent >= 8 && sent <= 13, `${sent} packets in 200 ms`);
      sender.stop();
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(sender.stats.packets, sent, 'nothing after the stop');
    } finally {
      rx.close();
    }
  });
});

describe('the TCP listener a device connects to (a=setup:active)', () => {
  function dial(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: '127.0.0.1', port }, () => resolve({ socket, received: () => Buffer.concat(chunks) }));
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.once('error', reject);
    });
  }

  test('a device that connects as soon as it has our 200, before its ACK, is the connection the audio goes to', async () => {
    const listener = await TcpAcceptSender.listen({ host: '127.0.0.1', port: 0 });
    const device = await dial(listener.port);
    try {
      await new Promise((r) => setTimeout(r, 50));
      const transport = await listener.accept(200);
      transport.send(Buffer.from([1, 2, 3]));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...device.received()], [0, 3, 1, 2, 3], 'RFC 4571 length, then the packet');
      transport.close();
    } finally {
      device.socket.destroy();
      listener.close();
    }
  });

  test('close() ends a waiting accept at once, not at its timeout', async () => {
    const listener = await TcpAcceptSender.listen({ host: '127.0.0.1', port: 0 });
    const t0 = performance.now();
    const accepting = listener.accept(5000);
    setTimeout(() => listener.close(), 20);
    await assert.rejects(accepting, /closed/);
    assert.ok(performance.now() - t0 < 1000);
  });
});

describe('the TCP connection we open to a device (a=setup:passive)', () => {
  test('packets reach the device RFC 4571 framed, and its hang-up resolves peerClosed', async () => {
    const chunks: Buffer[] = [];
    let device: Socket | null = null;
    const server = createServer((s) => {
      device = s;
      s.on('data', (d: Buffer) => chunks.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const transport = await tcpConnectSender({ address: '127.0.0.1', port }, 1000);
      assert.equal(transport.kind, 'tcp');
      transport.send(Buffer.from([9, 8]));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...Buffer.concat(chunks)], [0, 2, 9, 8]);
      (device as Socket | null)?.destroy();
      await transport.peerClosed;
      transport.close();
    } finally {
      server.close();
    }
  });

  test('a refused connection fails at once, not at the timeout', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((r) => server.close(() => r()));
    const t0 = performance.now();
    await assert.rejects(tcpConnectSender({ address: '127.0.0.1', port }, 5000), /ECONNREFUSED/);
    assert.ok(performance.now() - t0 < 1000);
  });
});
