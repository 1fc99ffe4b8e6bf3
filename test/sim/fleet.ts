/**
 * SimFleet: N simulated devices in one process for benchmarks. Devices share sockets
 * (one UDP socket per ~1000 devices; over TCP one connection per device by default), their
 * responses are told apart by Via branch and platform requests by the Request-URI user.
 * Every client transaction is tallied per method (statuses, timeouts, latency samples), and
 * every register/keepalive run returns a summary with p50/p90/p99.
 */
import { SimDevice } from './device';
import { SimEndpoint } from './endpoint';
import { deviceIdFor } from './ids';
import { loadSimClip, type SimClip } from './media-clip';
import { OutcomeTally, type LatencySummary } from './stats';
import type { SimDeviceKind, SimDeviceOptions, SimServer, SimStreamStats, SimTimers, SimTransportKind, TransactionOutcome } from './types';

export interface SimFleetOptions {
  count: number;
  server: SimServer;
  transport: SimTransportKind;
  localHost?: string;
  /** Default 'ipc'. */
  kind?: SimDeviceKind;
  /** Device ID of device `index`; default deviceIdFor(index, kind). */
  deviceIdFor?: (index: number) => string;
  /** Same password for every device (default "12345678"), unless passwordFor is given. */
  password?: string;
  passwordFor?: (deviceId: string, index: number) => string;
  /** Devices per socket: default 1000 over UDP, 1 over TCP (one connection per device). */
  devicesPerSocket?: number;
  /** Everything else a device takes (channels, charset, quirks, keepaliveIntervalMs, ...). */
  device?: Omit<Partial<SimDeviceOptions>, 'deviceId' | 'password' | 'server' | 'transport' | 'localHost' | 'kind'>;
  timers?: SimTimers;
}

export interface PaceOptions {
  /** Operations in flight at once. Default 200. */
  concurrency?: number;
  /** Start at most this many operations per second (0 or unset: as fast as concurrency allows). */
  ratePerSec?: number;
}

/** Media of a whole fleet, summed over its streams. */
export interface FleetMediaTotals {
  /** Streams ever answered (live and ended). */
  streams: number;
  sending: number;
  packets: number;
  bytes: number;
  videoFrames: number;
  droppedPackets: number;
  sendErrors: number;
}

export interface FleetRunSummary {
  total: number;
  /** Final status 2xx. */
  ok: number;
  failed: number;
  timeouts: number;
  byStatus: Record<string, number>;
  durationMs: number;
  /** Per operation: the whole register flow (both REGISTERs), or one keepalive MESSAGE. */
  latencyMs: LatencySummary;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs fn over items with a concurrency limit and an optional start rate. */
async function paced<T>(items: readonly T[], pace: PaceOptions, fn: (item: T) => Promise<void>): Promise<void> {
  const concurrency = Math.max(1, pace.concurrency ?? 200);
  const interval = pace.ratePerSec && pace.ratePerSec > 0 ? 1000 / pace.ratePerSec : 0;
  const startedAt = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      const item = items[index];
      if (index >= items.length || item === undefined) return;
      if (interval > 0) {
        const wait = startedAt + index * interval - performance.now();
        if (wait > 0) await sleep(wait);
      }
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()));
}

export class SimFleet {
  readonly devices: SimDevice[] = [];
  readonly endpoints: SimEndpoint[] = [];
  /** Every client transaction by method (REGISTER, MESSAGE): statuses, timeouts, latency. */
  readonly transactions = new Map<string, OutcomeTally>();
  private started = false;
  private stopped = false;

  constructor(private readonly options: SimFleetOptions) {
    if (!Number.isInteger(options.count) || options.count < 0) throw new Error(`bad fleet size ${options.count}`);
  }

  /** Opens the sockets (TCP connections 100 at a time) and creates the devices. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { options } = this;
    const kind = options.kind ?? 'ipc';
    const perSocket = Math.max(1, options.devicesPerSocket ?? (options.transport === 'udp' ? 1000 : 1));
    const socketCount = Math.ceil(options.count / perSocket);
    const indexes = Array.from({ length: socketCount }, (_, i) => i);
    const opened: SimEndpoint[] = new Array<SimEndpoint>(socketCount);
    await paced(indexes, { concurrency: 100 }, async (i) => {
      opened[i] = await SimEndpoint.open({
        transport: options.transport,
        server: options.server,
        localHost: options.localHost ?? '127.0.0.1',
        ...(options.timers ? { timers: options.timers } : {}),
        onTransaction: (outcome) => this.tally(outcome),
      });
    });
    this.endpoints.push(...opened);
    for (let i = 0; i < options.count; i++) {
      const deviceId = options.deviceIdFor ? options.deviceIdFor(i) : deviceIdFor(i, kind);
      const endpoint = opened[Math.floor(i / perSocket)];
      if (!endpoint) throw new Error('endpoint missing');
      const device = new SimDevice(
        {
          recordReceived: false,
          ...options.device,
          deviceId,
          password: options.passwordFor ? options.passwordFor(deviceId, i) : (options.password ?? '12345678'),
          server: options.server,
          transport: options.transport,
          localHost: options.localHost ?? '127.0.0.1',
          kind,
        },
        { endpoint },
      );
      await device.start();
      this.devices.push(device);
    }
  }

  private tally(outcome: TransactionOutcome): void {
    let tally = this.transactions.get(outcome.method);
    if (!tally) {
      tally = new OutcomeTally();
      this.transactions.set(outcome.method, tally);
    }
    tally.add(outcome.status, outcome.latencyMs, outcome.timedOut);
  }

  private async run(
    pace: PaceOptions,
    op: (device: SimDevice) => Promise<{ status: number; timedOut: boolean; latencyMs: number }>,
  ): Promise<FleetRunSummary> {
    const tally = new OutcomeTally();
    const startedAt = performance.now();
    await paced(this.devices, pace, async (device) => {
      const result = await op(device);
      tally.add(result.status, result.latencyMs, result.timedOut);
    });
    const ok = Object.entries(tally.byStatus)
      .filter(([status]) => Number(status) >= 200 && Number(status) < 300)
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      total: tally.count,
      ok,
      failed: tally.count - ok,
      timeouts: tally.timeouts,
      byStatus: { ...tally.byStatus },
      durationMs: performance.now() - startedAt,
      latencyMs: tally.latency(),
    };
  }

  /** Registers every device (401 challenge and authorised retry count as one operation). */
  registerAll(pace: PaceOptions = {}): Promise<FleetRunSummary> {
    return this.run(pace, (device) => device.register());
  }

  unregisterAll(pace: PaceOptions = {}): Promise<FleetRunSummary> {
    return this.run(pace, (device) => device.unregister());
  }

  /** One keepalive MESSAGE from every device. */
  keepaliveAll(pace: PaceOptions = {}): Promise<FleetRunSummary> {
    return this.run(pace, (device) => device.keepaliveTransaction());
  }

  /** Periodic keepalives on every device, first ones spread at random over one interval. */
  startKeepalives(): void {
    const interval = this.options.device?.keepaliveIntervalMs ?? 60_000;
    for (const device of this.devices) device.startKeepalives(Math.random() * interval);
  }

  stopKeepalives(): void {
    for (const device of this.devices) device.stopKeepalives();
  }

  /** Per-method transaction statistics gathered so far. */
  transactionStats(): Record<string, ReturnType<OutcomeTally['snapshot']>> {
    const out: Record<string, ReturnType<OutcomeTally['snapshot']>> = {};
    for (const [method, tally] of this.transactions) out[method] = tally.snapshot();
    return out;
  }

  /** Builds the clip the devices stream (one for the fleet: they share media options). */
  prepareMedia(): Promise<SimClip> {
    return loadSimClip(this.options.device?.media);
  }

  /** Every stream of every device (live ones with current counters, then ended ones). */
  streamStats(): SimStreamStats[] {
    return this.devices.flatMap((d) => d.streamStats());
  }

  mediaTotals(): FleetMediaTotals {
    const totals: FleetMediaTotals = { streams: 0, sending: 0, packets: 0, bytes: 0, videoFrames: 0, droppedPackets: 0, sendErrors: 0 };
    for (const s of this.streamStats()) {
      totals.streams++;
      if (s.state === 'sending') totals.sending++;
      totals.packets += s.packets;
      totals.bytes += s.bytes;
      totals.videoFrames += s.videoFrames;
      totals.droppedPackets += s.droppedPackets;
      totals.sendErrors += s.sendErrors;
    }
    return totals;
  }

  /** BYE for every answered stream of every device; resolves with the BYE statuses. */
  async hangupAll(): Promise<number[]> {
    return (await Promise.all(this.devices.map((d) => d.hangup()))).flat();
  }

  /** Stops every device (streams end without BYE) and closes every socket. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.devices.map((d) => d.stop()));
    await Promise.all(this.endpoints.map((e) => e.close()));
  }
}
