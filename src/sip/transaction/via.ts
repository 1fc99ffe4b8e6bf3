import type { SipHeaders, SipPeer, Via } from '../message/types';
import { formatHostPort, formatVia, parseVia } from '../message';

/**
 * RFC 3261 18.2.1 and RFC 3581 on an incoming request's top Via: `received` when the sent-by host
 * is not the packet's source address, `rport=<source port>` when the client asked for it. Devices
 * behind NAT or with hard-coded addresses are reached this way. Returns the parsed (stamped) Via.
 */
export function stampTopVia(headers: SipHeaders, peer: SipPeer): Via | null {
  const top = headers.get('via');
  if (top === undefined) return null;
  const via = parseVia(top);
  if (via === null) return null;
  let changed = false;
  if (via.host !== peer.address && via.host !== `[${peer.address}]`) {
    via.params.set('received', peer.address);
    changed = true;
  }
  if (via.params.has('rport')) {
    via.params.set('rport', String(peer.port));
    changed = true;
  }
  if (changed) replaceTopVia(headers, formatVia(via));
  return via;
}

function replaceTopVia(headers: SipHeaders, text: string): void {
  for (const e of headers.entries()) {
    if (e.name !== 'via') continue;
    if (e.value.indexOf(',') === -1) {
      e.value = text;
      return;
    }
    break;
  }
  // The top Via shares its line with others: rewrite them as one comma-joined line.
  const all = headers.getAll('via');
  all[0] = text;
  headers.set('via', all.join(', '));
}

/** The Via we put on requests we originate: `SIP/2.0/UDP host:port;rport;branch=...`. */
export function ourVia(local: { host: string; port: number }, transport: SipPeer['transport'], branch: string): string {
  return `SIP/2.0/${transport === 'tcp' ? 'TCP' : 'UDP'} ${formatHostPort(local.host, local.port)};rport;branch=${branch}`;
}
