import { networkInterfaces } from 'node:os';

/**
 * The address we put in From/Contact/Via when none is configured: the bind address when it is a
 * specific one, else the first external IPv4, else loopback.
 */
export function advertisedAddress(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}
