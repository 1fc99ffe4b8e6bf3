import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { silentLogger } from '../../../src/logger';
import { MemoryStateStore } from '../../../src/storage/memory/state-store';
import { LeaseLostError, MediaPortPool, MediaPortsExhaustedError, checkPortBindable } from '../../../src/media/ports';

// Below Linux's ephemeral range (32768-60999) so other tests' sockets do not land here.
const BASE = 23_000;

let state: MemoryStateStore;
before(async () => {
  state = new MemoryStateStore({ logger: silentLogger() });
  await state.init();
});
after(async () => {
  await state.close();
});

function pool(min: number, max: number, extra: { leaseTtlMs?: number; random?: () => number; nodeId?: string } = {}): MediaPortPool {
  return new MediaPortPool({ state, nodeId: extra.nodeId ?? 'node-a', host: '127.0.0.1', range: { min, max }, leaseTtlMs: extra.leaseTtlMs ?? 30_000, random: extra.random });
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function listenTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function socketCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWRAP' || r === 'TCPSERVERWRAP' || r === 'TCPWRAP').length;
}

describe('MediaPortPool', () => {
  test('hands out only even ports of the range, each once, until released', async () => {
    const p = pool(BASE + 1, BASE + 20); // 23002..23020: 10 even ports
    const leases = await Promise.all(Array.from({ length: 10 }, (_, i) => p.acquire(`call-${i}`)));
    const ports = leases.map((l) => l.port).sort((a, b) => a - b);
    assert.deepEqual(ports, Array.from({ length: 10 }, (_, i) => BASE + 2 + i * 2));
    await assert.rejects(p.acquire('one-too-many'), MediaPortsExhaustedError);
    await Promise.all(leases.map((l) => l.release()));
  });

  test('the same owner asking twice gets two different ports', async () => {
    const p = pool(BASE + 30, BASE + 40);
    const a = await p.acquire('same-call');
    const b = await p.acquire('same-call');
    assert.notEqual(a.port, b.port);
    await a.release();
    await b.release();
  });

  test('a released port can be handed out again', async () => {
    const p = pool(BASE + 50, BASE + 50);
    const first = await p.acquire('call-1');
    await assert.rejects(p.acquire('call-2'), MediaPortsExhaustedError);
    await first.release();
    await first.release(); // idempotent
    const second = await p.acquire('call-2');
    assert.equal(second.port, BASE + 50);
    await second.release();
  });

  test('a lease whose owner died (never renewed) expires and frees the port for another node', async () => {
    const dying = pool(BASE + 60, BASE + 60, { leaseTtlMs: 80, nodeId: 'node-dead' });
    const other = pool(BASE + 60, BASE + 60, { nodeId: 'node-b' });
    await dying.acquire('call-1');
    await assert.rejects(other.acquire('call-2'), MediaPortsExhaustedError);
    await new Promise((r) => setTimeout(r, 150));
    const taken = await other.acquire('call-2');
    assert.equal(taken.port, BASE + 60);
    await taken.release();
  });

  test('renew keeps a lease alive past its TTL; renewing a lost lease throws LeaseLostError', async () => {
    const p = pool(BASE + 70, BASE + 70, { leaseTtlMs: 100 });
    const lease = await p.acquire('call-1');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await lease.renew();
    }
    await assert.rejects(p.acquire('call-2'), MediaPortsExhaustedError);
    await new Promise((r) => setTimeout(r, 150));
    const thief = await p.acquire('call-3');
    await assert.rejects(lease.renew(), LeaseLostError);
    await lease.release(); // does not free the thief's lease
    await assert.rejects(p.acquire('call-4'), MediaPortsExhaustedError);
    await thief.release();
  });

  test('a port another program holds on UDP or on TCP is skipped', async () => {
    const udpHeld = BASE + 80;
    const tcpHeld = BASE + 82;
    const udp = await bindUdp(udpHeld);
    const tcp = await listenTcp(tcpHeld);
    try {
      const p = pool(udpHeld, BASE + 84, { random: () => 0 }); // starts at the UDP-held port
      const lease = await p.acquire('call-1');
      assert.equal(lease.port, BASE + 84);
      await assert.rejects(p.acquire('call-2'), (err: unknown) => {
        assert.ok(err instanceof MediaPortsExhaustedError);
        assert.match(err.message, /EADDRINUSE/);
        return true;
      });
      await lease.release();
    } finally {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  });

  test('exhaustion is a typed 503 error naming the host and range', async () => {
    const p = pool(BASE + 90, BASE + 92);
    const leases = [await p.acquire('a'), await p.acquire('b')];
    const err = await p.acquire('c').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof MediaPortsExhaustedError);
    assert.equal(err.code, 'unavailable');
    assert.equal(err.httpStatus, 503);
    assert.equal(err.host, '127.0.0.1');
    assert.deepEqual(err.range, { min: BASE + 90, max: BASE + 92 });
    await Promise.all(leases.map((l) => l.release()));
  });

  test('probing ports, including ones that fail to bind, leaves no socket open', async () => {
    const held = await bindUdp(BASE + 100);
    const heldTcp = await listenTcp(BASE + 102);
    const before = socketCount();
    const p = pool(BASE + 100, BASE + 120);
    const leases = [];
    for (let i = 0; i < 9; i++) leases.push(await p.acquire(`call-${i}`));
    await assert.rejects(p.acquire('more'), MediaPortsExhaustedError);
    assert.equal(socketCount(), before);
    await Promise.all(leases.map((l) => l.release()));
    await new Promise<void>((r) => held.close(() => r()));
    await new Promise<void>((r) => heldTcp.close(() => r()));
  });

  test('a fresh pool does not always start at the same port (restarts spread their first choice)', async () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const lease = await pool(BASE + 200, BASE + 398).acquire('first');
      firsts.add(lease.port);
      await lease.release();
    }
    assert.ok(firsts.size >= 4, `first ports: ${[...firsts].join(', ')}`);
  });

  test('a port that cannot be bound on this host is reported by the probe', async () => {
    assert.deepEqual(await checkPortBindable('127.0.0.1', BASE + 110), { ok: true });
    const held = await bindUdp(BASE + 110);
    const result = await checkPortBindable('127.0.0.1', BASE + 110);
    await new Promise<void>((r) => held.close(() => r()));
    assert.deepEqual(result, { ok: false, code: 'udp EADDRINUSE' });
  });

  test('a range without an even port or outside 1-65535 is refused at construction', () => {
    assert.throws(() => pool(BASE + 1, BASE + 1), RangeError);
    assert.throws(() => pool(0, 10), RangeError);
    assert.throws(() => pool(65534, 65536), RangeError);
    assert.throws(() => pool(20, 10), RangeError);
  });
});
