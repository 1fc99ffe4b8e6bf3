import { createSocket, type Socket, type SocketType } from 'node:dgram';

/** A bound RTP/RTCP socket pair: RTP on an even port, RTCP on the next (RFC 3550 11). */
export interface UdpPortPair {
  rtp: Socket;
  rtcp: Socket;
  ports: [number, number];
}

export interface UdpPortRange {
  /** First port that may be used (rounded up to even). */
  min: number;
  /** Last port that may be used. */
  max: number;
}

/**
 * Binds a pair on `address`: from `range` when given (starting at a random even port, so that
 * sessions set up at once rarely race for the same one), else an ephemeral pair picked by the
 * kernel. Resolves null when no pair could be bound.
 */
export async function bindUdpPortPair(type: SocketType, address: string, range?: UdpPortRange): Promise<UdpPortPair | null> {
  if (range === undefined) {
    for (let attempt = 0; attempt < 32; attempt++) {
      const rtp = await bindSocket(type, address, 0);
      if (rtp === null) return null;
      const port = rtp.address().port;
      const pair = port % 2 === 0 && port < 65535 ? await completePair(type, address, rtp, port) : null;
      if (pair !== null) return pair;
      closeQuietly(rtp);
    }
    return null;
  }
  const first = range.min + (range.min % 2);
  const count = Math.floor((range.max - first + 1) / 2);
  if (count <= 0) return null;
  const offset = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = first + ((offset + i) % count) * 2;
    const rtp = await bindSocket(type, address, port);
    if (rtp === null) continue;
    const pair = await completePair(type, address, rtp, port);
    if (pair !== null) return pair;
    closeQuietly(rtp);
  }
  return null;
}

async function completePair(type: SocketType, address: string, rtp: Socket, port: number): Promise<UdpPortPair | null> {
  const rtcp = await bindSocket(type, address, port + 1);
  return rtcp === null ? null : { rtp, rtcp, ports: [port, port + 1] };
}

function bindSocket(type: SocketType, address: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, reuseAddr: false });
    const onError = (): void => {
      closeQuietly(socket);
      resolve(null);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
