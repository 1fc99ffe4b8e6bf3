import { parseNameAddr, parseUri } from '../message';
import type { SipRequest } from '../message/types';

/** The user parts that identify a broadcast INVITE: who sends it (From) and whom it asks for (To, Request-URI). */
export interface InviteParties {
  from: string | null;
  to: string | null;
  requestUser: string | null;
}

function userOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  return parseNameAddr(value)?.uri.user ?? null;
}

export function inviteParties(request: SipRequest): InviteParties {
  return { from: userOf(request.headers.get('from')), to: userOf(request.headers.get('to')), requestUser: parseUri(request.uri)?.user ?? null };
}

/**
 * Whether an INVITE is the one a broadcast waits for: from the device or its target channel, to
 * our audio source ID (or the platform's ID, which some devices use instead).
 */
export function isBroadcastInvite(p: InviteParties, want: { deviceId: string; targetId: string; sourceId: string; platformId: string }): boolean {
  const fromOk = p.from === want.deviceId || p.from === want.targetId;
  const toOk = [p.to, p.requestUser].some((u) => u === want.sourceId || u === want.platformId);
  return fromOk && toOk;
}
