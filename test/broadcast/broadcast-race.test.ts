import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import type { BroadcastClipStore } from '../../src/media/broadcast/clip-store';
import type { MediaPortLease, MediaPortPool } from '../../src/media/ports';
import { BroadcastService } from '../../src/sip/broadcast/broadcast-service';
import type { DeviceMessenger } from '../../src/sip/device/messenger';
import type { PendingQueries } from '../../src/sip/device/pending-queries';
import { createRequest } from '../../src/sip/message';
import type { ServerTransactionContext, SipEndpoint } from '../../src/sip/transaction';

const DEVICE = '34020000001320000001';
const PLATFORM = '34020000002000000001';
const OFFER = ['v=0', `o=${DEVICE} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 8', 'a=recvonly', 'a=rtpmap:8 PCMA/8000', 'y=0100000001', ''].join('\r\n');

/**
 * The service around one device that accepts the Notify (no Response needed: its INVITE counts),
 * and a port pool whose acquire the test completes when it wants.
 */
function harness() {
  let grant: (lease: MediaPortLease) => void = () => undefined;
  const released: number[] = [];
  const ports = {
    acquire: () => new Promise<MediaPortLease>((resolve) => (grant = resolve)),
  } as unknown as MediaPortPool;
  const lease = (port: number): MediaPortLease => ({ port, release: async () => void released.push(port), renew: async () => undefined });
  const messenger = { reachable: async () => ({}), sendManscdp: async () => ({ status: 200 }) } as unknown as DeviceMessenger;
  const pending = { nextSn: () => 1, wait: () => ({ done: new Promise<boolean>(() => undefined), cancel: () => undefined }) } as unknown as PendingQueries;
  const clips = { read: async () => ({ clip: { id: 'c', bytes: 8000, durationMs: 1000, createdAt: 0 }, audio: Buffer.alloc(8000, 0xd5) }) } as unknown as BroadcastClipStore;
  const service = new BroadcastService(
    { endpoint: {} as SipEndpoint, messenger, pending, ports, clips, logger: silentLogger() },
    {
      sourceId: PLATFORM,
      platformId: PLATFORM,
      mediaHost: '127.0.0.1',
      mediaAddress: '127.0.0.1',
      answerTimeoutMs: 2000,
      inviteTimeoutMs: 2000,
      connectTimeoutMs: 500,
      maxClipSeconds: 10,
      ffmpegPath: 'ffmpeg',
      tmpDir: '/tmp',
      leaseRenewMs: 60_000,
    },
  );
  return { service, grant: (port: number) => grant(lease(port)), released };
}

function invite(): { request: ReturnType<typeof createRequest>; ctx: ServerTransactionContext & { statuses: number[] } } {
  const request = createRequest({
    method: 'INVITE',
    uri: `sip:${PLATFORM}@127.0.0.1:5060`,
    headers: [
      ['From', `<sip:${DEVICE}@3402000000>;tag=1`],
      ['To', `<sip:${PLATFORM}@3402000000>`],
      ['Call-ID', 'race-1'],
      ['CSeq', '1 INVITE'],
      ['Content-Type', 'application/sdp'],
    ],
    body: Buffer.from(OFFER),
  });
  const statuses: number[] = [];
  const ctx = {
    peer: { transport: 'udp' as const, address: '127.0.0.1', port: 5070 },
    statuses,
    get responded() {
      return statuses.length > 0;
    },
    cancelled: false,
    onCancel: undefined,
    respond(status: number) {
      if (statuses.length === 0) statuses.push(status);
    },
  };
  return { request, ctx };
}

describe('broadcast start and stop racing', () => {
  test('a broadcast stopped while its port is being taken gives the port back and refuses the INVITE', async () => {
    const { service, grant, released } = harness();
    try {
      const starting = service.start(DEVICE, { kind: 'clip', clipId: 'c' });
      const outcome = starting.then(
        () => 'started',
        (err: Error) => err.message,
      );
      await new Promise((r) => setTimeout(r, 20));
      const [view] = service.list();
      assert.ok(view !== undefined);
      const { request, ctx } = invite();
      assert.equal(service.handleRequest(request, ctx), true, 'the INVITE is the one the broadcast waits for');
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(service.stop(view.id)?.state, 'ended');
      grant(41000);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(released, [41000], 'the lease taken after the stop is released');
      assert.equal(ctx.statuses[0], 487);
      assert.match(await outcome, /ended \(stopped\)/);
    } finally {
      await service.close();
    }
  });

  test('two starts to one device at the same time: the second is refused as a conflict, even while the first converts its audio', async () => {
    const { service } = harness();
    try {
      const first = service.start(DEVICE, { kind: 'clip', clipId: 'c' }).catch((err: Error) => err);
      const second = service.start(DEVICE, { kind: 'clip', clipId: 'c' }).catch((err: Error) => err);
      const refused = await second;
      assert.ok(refused instanceof Error);
      assert.match(refused.message, /already running/);
      assert.equal(service.list().length, 1);
      await service.close();
      assert.ok((await first) instanceof Error, 'the first ends with the shutdown');
    } finally {
      await service.close();
    }
  });
});
