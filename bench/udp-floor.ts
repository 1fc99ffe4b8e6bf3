/**
 * The floor under any Node.js SIP server on this machine: a UDP server that answers every datagram
 * with a fixed 200 OK and does nothing else, measured like bench/register-storm.ts measures gbvms
 * (server CPU from /proc per 1,000 messages/s).
 *
 *   node --import tsx bench/udp-floor.ts [--rates=500,2000] [--seconds=8]
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { arg, processCpu } from './lib/server-process';

if (process.argv[2] === '--echo-server') {
  const answer = Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
  const socket = createSocket('udp4');
  socket.on('message', (_msg, rinfo) => socket.send(answer, rinfo.port, rinfo.address));
  socket.bind(0, '127.0.0.1', () => process.send?.(socket.address().port));
} else {
  const rates = arg('rates', '500,2000').split(',').map(Number);
  const seconds = Number(arg('seconds', '8'));
  const child = fork(new URL(import.meta.url).pathname, ['--echo-server'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const pid = child.pid ?? 0;
  const cpuSeconds = (): number => {
    const { user, sys } = processCpu(pid);
    return user + sys;
  };
  const client = createSocket('udp4');
  let answered = 0;
  client.on('message', () => (answered += 1));
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
  const payload = Buffer.alloc(420, 0x41); // about the size of a keepalive MESSAGE
  for (const rate of rates) {
    answered = 0;
    const before = cpuSeconds();
    const start = Date.now();
    let sent = 0;
    while (Date.now() - start < seconds * 1000) {
      const due = Math.floor(((Date.now() - start) * rate) / 1000);
      while (sent < due) {
        client.send(payload, port, '127.0.0.1');
        sent += 1;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 500));
    const corePct = ((cpuSeconds() - before) / seconds) * 100;
    console.log(`${rate}/s: ${sent} sent, ${answered} answered; echo server ${corePct.toFixed(1)}% of one core = ${(corePct / (rate / 1000)).toFixed(2)}% per 1,000 messages/s`);
  }
  client.close();
  child.kill();
}
