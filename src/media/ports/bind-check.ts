import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';

export type BindCheck = { ok: true } | { ok: false; code: string };

/**
 * Whether this process could bind UDP and TCP `port` on `host` right now (another process may
 * hold it even though no lease says so). Both probe sockets are always closed before returning.
 */
export async function checkPortBindable(host: string, port: number): Promise<BindCheck> {
  const udp = await probeUdp(host, port);
  if (!udp.ok) return udp;
  return probeTcp(host, port);
}

function probeUdp(host: string, port: number): Promise<BindCheck> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
    const finish = (result: BindCheck): void => {
      try {
        socket.close(() => resolve(result));
      } catch {
        resolve(result); // never bound: nothing to close
      }
    };
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, code: `udp ${err.code ?? err.message}` }));
    socket.bind({ port, address: host, exclusive: true }, () => finish({ ok: true }));
  });
}

function probeTcp(host: string, port: number): Promise<BindCheck> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      server.close(() => resolve({ ok: false, code: `tcp ${err.code ?? err.message}` }));
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve({ ok: true })));
  });
}
