import type { PackedFrame } from './ps-rtp-packer';

export type SenderCloseReason = 'disconnected' | 'connect-failed';

/**
 * Where a forwarding's packets go: a UDP socket or a TCP connection (that we open or accept).
 * `ready` is false until there is somewhere to send; frames given before are dropped by the caller.
 */
export interface ForwardSender {
  readonly ready: boolean;
  /** The receiver, `ip:port`, once known. */
  readonly remote: string | null;
  readonly localPort: number;
  readonly sendErrors: number;
  /** Binds (udp), listens (tcp-passive) or does nothing yet (tcp-active). Resolves with the local port. */
  open(): Promise<number>;
  /** Begins connecting (tcp-active) or waiting for the receiver (tcp-passive); udp is ready at once. */
  begin(onReady: () => void, onClosed: (reason: SenderCloseReason) => void): void;
  send(frame: PackedFrame): void;
  /** Bytes queued and not yet taken by the kernel (slow-receiver detection). */
  pendingBytes(): number;
  /** Idempotent; no callback fires afterwards. */
  close(): void;
}
