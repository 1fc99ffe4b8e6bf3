import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { UdpRtpIngest } from '../../../src/media/ingest/udp-ingest';
import { buildRtpPacket, type RtpPacket } from '../../../src/media/rtp/packet';
import { silentLogger } from '../../../src/logger';
import { closeUdp, sendUdp, udpSender, waitFor } from './helpers';

const sockets: Awaited<ReturnType<typeof udpSender>>[] = [];
const ingests: UdpRtpIngest[] = [];
after(async () => {
  await Promise.all(ingests.map((i) => i.close()));
  await Promise.all(sockets.map(closeUdp));
});

test('packets held behind a gap come out after the reorder delay even when the sender falls silent', async () => {
  const got: number[] = [];
  const losses: number[] = [];
  const ingest = new UdpRtpIngest({
    streamId: 'gap',
    transport: 'udp',
    host: '127.0.0.1',
    port: 0,
    reorderMaxDelayMs: 100,
    logger: silentLogger(),
    onPayload: (p: RtpPacket) => got.push(p.sequenceNumber),
    onDiscontinuity: (lost) => losses.push(lost),
  });
  ingests.push(ingest);
  await ingest.start();
  const sender = await udpSender();
  sockets.push(sender);
  const packet = (seq: number) => buildRtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3600, ssrc: 1, marker: true }, Buffer.alloc(20, seq));
  const sentAt = Date.now();
  // 103 never comes, and nothing follows 105.
  await sendUdp(sender, [100, 101, 102, 104, 105].map(packet), ingest.localPort);
  await waitFor('the held packets', () => got.length === 5, 2000);
  const waited = Date.now() - sentAt;
  assert.deepEqual(got, [100, 101, 102, 104, 105]);
  assert.deepEqual(losses, [1]);
  assert.ok(waited >= 90 && waited < 1000, `released about maxDelayMs after the gap (took ${waited} ms)`);
  assert.equal(ingest.stats.lost, 1);
});
