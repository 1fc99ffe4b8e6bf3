import type { Socket } from 'node:net';

/**
 * The socket's file descriptor (libuv's handle has it on Unix); undefined where there is none.
 * Not a public Node.js API: callers fall back to Node's own reads and writes without it.
 */
export function descriptorOf(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
