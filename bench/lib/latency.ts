import type { SimFleet } from '../../test/sim/fleet';

/** The p-th percentile (0-100) of the values, NaN when there are none. */
export function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Keepalives from the fleet's devices at a steady pace until stopped; returns their latencies. */
export function probeKeepalives(fleet: SimFleet, perSecond: number): { stop: () => Promise<{ latencies: number[]; failed: number }> } {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    let i = 0;
    while (running) {
      const device = fleet.devices[i++ % fleet.devices.length];
      void device?.keepaliveTransaction().then((r) => {
        if (r.status === 200) latencies.push(r.latencyMs);
        else failed += 1;
      });
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await new Promise((r) => setTimeout(r, 1000));
      return { latencies, failed };
    },
  };
}
