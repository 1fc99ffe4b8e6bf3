import { EventEmitter } from 'node:events';
import { AudioPacketizer, PACKET_MS, type AudioPacketizerOptions } from './audio-packets';
import type { RtpSendTransport } from './rtp-send-transport';

export type AudioSendEnd = 'complete' | 'stopped' | 'peer-closed';

export interface AudioSenderStats {
  packets: number;
  bytes: number;
  /** Audio sent so far, ms. */
  sentMs: number;
  durationMs: number;
}

interface AudioSenderEvents {
  end: [reason: AudioSendEnd];
}

/** Tick of the pacing timer; every tick sends the packets that are due by the clock, so timer jitter never accumulates. */
const TICK_MS = 10;

/**
 * Sends a clip as RTP in real time: packet n leaves at start + n × 20 ms (late ticks catch up, a
 * clock jump never bursts more than a second). Emits 'end' once: the clip was sent, stop() was
 * called, or the TCP peer went away.
 */
export class AudioSender extends EventEmitter<AudioSenderEvents> {
  private readonly packetizer: AudioPacketizer;
  private next = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;
  private packets = 0;
  private bytes = 0;

  constructor(
    alaw: Buffer,
    options: AudioPacketizerOptions,
    private readonly transport: RtpSendTransport,
  ) {
    super();
    this.packetizer = new AudioPacketizer(alaw, options);
    void transport.peerClosed.then(() => this.finish('peer-closed'));
  }

  start(): void {
    if (this.timer !== null || this.ended) return;
    this.startedAt = performance.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    this.finish('stopped');
  }

  get stats(): AudioSenderStats {
    return { packets: this.packets, bytes: this.bytes, sentMs: this.next * PACKET_MS, durationMs: this.packetizer.count * PACKET_MS };
  }

  private tick(): void {
    const due = Math.min(this.packetizer.count, Math.floor((performance.now() - this.startedAt) / PACKET_MS) + 1);
    // After a long stall (a suspended VM), skip ahead instead of bursting more than a second.
    if (due - this.next > 50) this.next = due - 50;
    while (this.next < due && !this.ended) {
      for (const packet of this.packetizer.packet(this.next)) {
        this.transport.send(packet);
        this.packets++;
        this.bytes += packet.length;
      }
      this.next++;
    }
    // The last packet's 20 ms are played out before the end is reported.
    if (this.next >= this.packetizer.count && performance.now() - this.startedAt >= this.packetizer.count * PACKET_MS) this.finish('complete');
  }

  private finish(reason: AudioSendEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.transport.close();
    this.emit('end', reason);
  }
}
