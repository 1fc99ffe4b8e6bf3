import { Worker } from 'node:worker_threads';

export interface FloodOptions {
  port: number;
  datagrams: number;
  size: number;
  /** Datagrams sent per tick, and the pause between ticks: paced so the kernel's receive buffer keeps up. */
  perTick: number;
  tickMs: number;
  /** Writes the datagram's index as a u32 at its start (to check order on arrival). */
  numbered?: boolean;
}

/**
 * A worker thread sends the flood while this thread spins, so that JavaScript here takes nothing
 * until every datagram has left (however slow the machine, e.g. under a sanitizer); only a
 * native reader's own queue can hold them meanwhile. Resolves once the worker has ended.
 */
export async function floodWhileBusy(options: FloodOptions): Promise<void> {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { createSocket } = require('node:dgram');
    const { workerData: o } = require('node:worker_threads');
    const s = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    let left = o.datagrams;
    let next = 0;
    const tick = () => {
      for (let k = 0; k < o.perTick && next < o.datagrams; k++, next++) {
        const d = Buffer.alloc(o.size, 65);
        if (o.numbered) d.writeUInt32BE(next, 0);
        s.send(d, o.port, '127.0.0.1', () => {
          if (--left === 0) { s.close(); Atomics.store(o.done, 0, 1); }
        });
      }
      if (next < o.datagrams) setTimeout(tick, o.tickMs);
    };
    tick();
    `,
    { eval: true, workerData: { ...options, numbered: options.numbered === true, done } },
  );
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const until = Date.now() + 30_000;
  while (Atomics.load(done, 0) === 0 && Date.now() < until) {
    // busy on purpose: no delivery can run on this thread
  }
  const tail = Date.now() + 100;
  while (Date.now() < tail) {
    // and the reader's thread takes the last datagrams off the socket
  }
  await exited;
  if (Atomics.load(done, 0) === 0) throw new Error('the flood did not finish within 30 s');
}
