import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { buildRtpPacket, parseRtpPacket } from '../../src/media/rtp/packet';
import { frameForTcp, RtpTcpFramer } from '../../src/media/rtp/tcp-framer';
import { randomBytes, randomInt, seededRandom } from '../helpers/random';

const SSRC = 0x0bad_cafe;

function packets(count: number, rand = seededRandom(7), ssrc = SSRC): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    buildRtpPacket({ marker: i % 5 === 4, payloadType: 96, sequenceNumber: i, timestamp: 3600 * Math.floor(i / 5), ssrc }, randomBytes(rand, randomInt(rand, 1, 1400))),
  );
}

function collect(): { framer: RtpTcpFramer; got: Buffer[]; rtcp: Buffer[] } {
  const got: Buffer[] = [];
  const rtcp: Buffer[] = [];
  const framer = new RtpTcpFramer({ onPacket: (p) => got.push(Buffer.from(p)), onRtcp: (p) => rtcp.push(Buffer.from(p)) });
  return { framer, got, rtcp };
}

function seqs(list: Buffer[]): number[] {
  return list.map((p) => parseRtpPacket(p)?.sequenceNumber ?? -1);
}

describe('RFC 4571 framing of RTP over TCP', () => {
  test('several packets in one read come out whole, as views into the read', () => {
    const sent = packets(20);
    const stream = Buffer.concat(sent.map(frameForTcp));
    const views: Buffer[] = [];
    const framer = new RtpTcpFramer({ onPacket: (p) => views.push(p) });
    framer.push(stream);
    assert.equal(views.length, 20);
    views.forEach((v, i) => {
      assert.ok(v.equals(sent[i] as Buffer));
      assert.equal(v.buffer, stream.buffer, 'no copy for a packet inside one read');
    });
    assert.deepEqual(framer.stats, { packets: 20, rtcpPackets: 0, bytesDropped: 0, resyncs: 0 });
  });

  test('a stream split at every byte boundary gives the same packets', () => {
    const sent = packets(6);
    const stream = Buffer.concat(sent.map(frameForTcp));
    for (let cut = 1; cut < stream.length; cut++) {
      const { framer, got } = collect();
      framer.push(stream.subarray(0, cut));
      framer.push(stream.subarray(cut));
      assert.equal(got.length, 6, `cut at ${cut}`);
      assert.ok(got.every((p, i) => p.equals(sent[i] as Buffer)), `cut at ${cut}`);
      assert.equal(framer.stats.bytesDropped, 0);
    }
    const { framer, got } = collect();
    for (let i = 0; i < stream.length; i++) framer.push(stream.subarray(i, i + 1));
    assert.equal(got.length, 6, 'one byte per read');
    assert.ok(got.every((p, i) => p.equals(sent[i] as Buffer)));
  });

  test('garbage in the stream is skipped up to the next packet of the same SSRC and counted', () => {
    const sent = packets(30);
    const framed = sent.map(frameForTcp);
    const garbage = Buffer.alloc(777, 0x5a);
    const zeroLength = Buffer.from([0, 0, 0, 0, 0, 0]);
    const stream = Buffer.concat([...framed.slice(0, 10), garbage, ...framed.slice(10, 20), zeroLength, ...framed.slice(20)]);
    const { framer, got } = collect();
    for (let i = 0; i < stream.length; i += 1000) framer.push(stream.subarray(i, i + 1000));
    assert.deepEqual(seqs(got), sent.map((_, i) => i));
    assert.equal(framer.stats.bytesDropped, garbage.length + zeroLength.length);
    assert.equal(framer.stats.resyncs, 2);
  });

  test('a packet cut short by a send-buffer overflow is dropped and the next one is found', () => {
    const sent = packets(12);
    const framed = sent.map(frameForTcp);
    const cut = (framed[5] as Buffer).subarray(0, 300); // claims its full length, sends 300 bytes
    const stream = Buffer.concat([...framed.slice(0, 5), cut, ...framed.slice(6)]);
    for (const step of [stream.length, 512, 97]) {
      const { framer, got } = collect();
      for (let i = 0; i < stream.length; i += step) framer.push(stream.subarray(i, i + step));
      assert.deepEqual(seqs(got), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11], `reads of ${step}`);
      assert.equal(framer.stats.bytesDropped, 300, `reads of ${step}`);
    }
  });

  test('RTCP multiplexed on the connection goes to onRtcp', () => {
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 9]);
    const sent = packets(2);
    const { framer, got, rtcp } = collect();
    framer.push(Buffer.concat([frameForTcp(sent[0] as Buffer), frameForTcp(rr), frameForTcp(sent[1] as Buffer)]));
    assert.equal(got.length, 2);
    assert.equal(rtcp.length, 1);
    assert.ok((rtcp[0] as Buffer).equals(rr));
  });

  test('a sender that changes SSRC is followed after a bounded loss', () => {
    const first = packets(5);
    const second = packets(200, seededRandom(8), 0x1234);
    const { framer, got } = collect();
    framer.push(Buffer.concat([...first, ...second].map(frameForTcp)));
    // About 64 KB (here ~90 packets) goes before the framer gives up on the old SSRC.
    assert.ok(got.length >= 5 + 100, `got ${got.length}`);
    const tail = seqs(got.slice(-100));
    assert.deepEqual(tail, Array.from({ length: 100 }, (_, i) => 100 + i));
    assert.equal(parseRtpPacket(got[got.length - 1] as Buffer)?.ssrc, 0x1234);
  });

  test('random bytes and a mutated stream never throw and never drop more than they were given', () => {
    const rand = seededRandom(99);
    const stream = Buffer.concat(packets(40, rand).map(frameForTcp));
    for (let round = 0; round < 300; round++) {
      const input = Buffer.from(stream);
      for (let k = 0; k < 5; k++) input[randomInt(rand, 0, input.length - 1)] = randomInt(rand, 0, 255);
      const noise = randomBytes(rand, randomInt(rand, 0, 2000));
      const { framer, got } = collect();
      let fed = 0;
      for (const part of [noise, input]) {
        for (let i = 0; i < part.length; ) {
          const n = randomInt(rand, 1, 3000);
          framer.push(part.subarray(i, i + n));
          i += n;
        }
        fed += part.length;
      }
      assert.ok(framer.stats.bytesDropped <= fed);
      assert.ok(got.every((p) => p.length >= 12 && (p[0] ?? 0) >> 6 === 2));
    }
  });

  describe('over a real TCP connection on 127.0.0.1', () => {
    let server: Server | undefined;
    let client: Socket | undefined;
    after(async () => {
      client?.destroy();
      if (server) {
        server.close();
        await once(server, 'close');
      }
    });

    test('packets written in odd-sized pieces arrive whole and in order', async () => {
      const sent = packets(300, seededRandom(3));
      const got: Buffer[] = [];
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      server = createServer((socket) => {
        const framer = new RtpTcpFramer({
          onPacket: (p) => {
            got.push(Buffer.from(p));
            if (got.length === sent.length) done();
          },
        });
        socket.on('data', (chunk) => framer.push(chunk));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      client = connect(port, '127.0.0.1');
      await once(client, 'connect');
      const stream = Buffer.concat(sent.map(frameForTcp));
      const rand = seededRandom(4);
      for (let i = 0; i < stream.length; ) {
        const n = randomInt(rand, 1, 5000);
        client.write(stream.subarray(i, i + n));
        i += n;
      }
      const timeout = setTimeout(done, 5000);
      await finished;
      clearTimeout(timeout);
      assert.deepEqual(seqs(got), sent.map((_, i) => i));
      assert.ok(got.every((p, i) => p.equals(sent[i] as Buffer)));
    });
  });
});
