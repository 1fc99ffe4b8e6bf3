import type { BroadcastCodec } from './broadcast-sdp';

/**
 * notifying: Notify Broadcast sent, waiting for the device's Response; waiting-invite: it said OK,
 * waiting for its INVITE; connecting: INVITE answered, waiting for the ACK (and the TCP connection);
 * sending: audio flows; ended / failed: over.
 */
export type BroadcastState = 'notifying' | 'waiting-invite' | 'connecting' | 'sending' | 'ended' | 'failed';

export type BroadcastEndReason = 'complete' | 'stopped' | 'device-bye' | 'peer-closed' | 'shutdown' | 'error';

/** A broadcast as the API shows it. Times are ms UTC. */
export interface BroadcastView {
  id: string;
  deviceId: string;
  /** The audio output told to play (the device itself, or one of its channels). */
  targetId: string;
  /** Our audio source ID in Notify Broadcast (the INVITE's To). */
  sourceId: string;
  clipId: string;
  durationMs: number;
  state: BroadcastState;
  codec: BroadcastCodec | null;
  payloadType: number | null;
  transport: 'udp' | 'tcp' | null;
  /** Where the device receives. */
  remote: string | null;
  localPort: number | null;
  ssrc: string | null;
  callId: string | null;
  packets: number;
  bytes: number;
  sentMs: number;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  endReason: BroadcastEndReason | null;
  error: string | null;
}
