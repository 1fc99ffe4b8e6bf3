import type { Registration } from '../ports';

/** A registration as the field/value pairs of a Redis hash (all values are strings there). */
export function registrationFields(r: Registration): Record<string, string> {
  return {
    transport: r.transport,
    address: r.address,
    port: String(r.port),
    contact: r.contact,
    callId: r.callId,
    registeredAt: String(r.registeredAt),
    expiresAt: String(r.expiresAt),
    lastSeenAt: String(r.lastSeenAt),
    nodeId: r.nodeId,
  };
}

/** The registration stored in a hash, or null when a field is missing or malformed. */
export function parseRegistration(deviceId: string, hash: Record<string, string>): Registration | null {
  const { transport, address, contact, callId, nodeId } = hash;
  const port = finite(hash.port);
  const registeredAt = finite(hash.registeredAt);
  const expiresAt = finite(hash.expiresAt);
  const lastSeenAt = finite(hash.lastSeenAt);
  if (transport !== 'udp' && transport !== 'tcp') return null;
  if (address === undefined || contact === undefined || callId === undefined || nodeId === undefined) return null;
  if (port === null || registeredAt === null || expiresAt === null || lastSeenAt === null) return null;
  return { deviceId, transport, address, port, contact, callId, registeredAt, expiresAt, lastSeenAt, nodeId };
}

function finite(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
