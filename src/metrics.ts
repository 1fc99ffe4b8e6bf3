import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RtpTotals } from './media/node/types';
import type { SipMessage } from './sip/message/types';

/** Prometheus metrics of one server instance (its own registry, so several instances can share a process in tests). */
export class Metrics {
  readonly registry = new Registry();
  /** direction|method|status -> count; kept as plain numbers on the per-message path, read at scrape time. */
  private readonly sipCounts = new Map<string, number>();
  readonly sipMessages: Counter<'direction' | 'method' | 'status'>;
  readonly sipTimeouts = new Counter({
    name: 'gbvms_sip_transaction_timeouts_total',
    help: 'Client transactions that got no final answer, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly registrations = new Counter({
    name: 'gbvms_registrations_total',
    help: 'REGISTER requests answered, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly registerShed = new Counter({
    name: 'gbvms_sip_register_shed_total',
    help: 'REGISTERs dropped unread because the registration queue was full (the device retransmits)',
    registers: [this.registry],
  });
  readonly keepaliveLane = new Counter({
    name: 'gbvms_sip_keepalive_lane_total',
    help: 'Keepalives answered by the native keepalive lane (also in gbvms_sip_messages_total); 0 while Node.js reads SIP UDP',
    registers: [this.registry],
  });
  readonly sipUdpDropped = new Counter({
    name: 'gbvms_sip_udp_dropped_total',
    help: 'SIP UDP datagrams the native reader dropped because JavaScript fell behind (its queue was full)',
    registers: [this.registry],
  });
  readonly devicesOnline = new Gauge({
    name: 'gbvms_devices_online',
    help: 'Devices online now',
    registers: [this.registry],
  });
  readonly devicesRegistered = new Gauge({
    name: 'gbvms_registrations_active',
    help: 'Registrations held in the state store',
    registers: [this.registry],
  });

  readonly liveStreams = new Gauge({
    name: 'gbvms_live_streams',
    help: 'Live streams running (starting or live)',
    registers: [this.registry],
  });
  readonly liveStarts = new Counter({
    name: 'gbvms_live_starts_total',
    help: 'Live view starts by outcome (ok, or the API error code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly cascadeLinks = new Gauge({
    name: 'gbvms_cascade_link_state',
    help: 'Registration with each upper platform: 1 for its current state (registering, registered, failing, disabled, stopped)',
    labelNames: ['upper', 'state'] as const,
    registers: [this.registry],
  });
  readonly liveEnds = new Counter({
    name: 'gbvms_live_ends_total',
    help: 'Live streams ended, by reason (api, idle, device-bye, rtp-timeout, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** The media node's RTP totals as of the last scrape (beforeMetrics asks for them). */
  private rtp: RtpTotals | null = null;
  readonly rtpPackets: Counter<'outcome'>;
  readonly rtpBytes: Counter;

  constructor(withProcessMetrics = true) {
    const counts = this.sipCounts;
    const rtp = (): RtpTotals | null => this.rtp;
    this.rtpPackets = new Counter({
      name: 'gbvms_rtp_packets_total',
      help: 'RTP packets of live streams since the media worker started, ended streams included: received, lost (gaps), late, bad, ssrc_mismatch, source_mismatch, reader_dropped (the native reader fell behind)',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        const totals = rtp();
        if (totals === null) return;
        this.reset();
        this.inc({ outcome: 'received' }, totals.packets);
        this.inc({ outcome: 'lost' }, totals.lost);
        this.inc({ outcome: 'late' }, totals.late);
        this.inc({ outcome: 'bad' }, totals.badPackets);
        this.inc({ outcome: 'ssrc_mismatch' }, totals.ssrcMismatches);
        this.inc({ outcome: 'source_mismatch' }, totals.sourceMismatches);
        this.inc({ outcome: 'reader_dropped' }, totals.readerDropped);
      },
    });
    this.rtpBytes = new Counter({
      name: 'gbvms_rtp_bytes_total',
      help: 'Bytes of the RTP packets live streams received (headers included), since the media worker started',
      registers: [this.registry],
      collect() {
        const totals = rtp();
        if (totals === null) return;
        this.reset();
        this.inc(totals.bytes);
      },
    });
    this.sipMessages = new Counter({
      name: 'gbvms_sip_messages_total',
      help: 'SIP messages by direction, method and (for responses) status',
      labelNames: ['direction', 'method', 'status'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, value] of counts) {
          const [direction = '', method = '', status = ''] = key.split('|');
          this.inc({ direction, method, status }, value);
        }
      },
    });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gbvms_' });
  }

  /** The media node's totals for the next scrape; null when it could not be asked (the counters keep their last values). */
  setRtpTotals(totals: RtpTotals | null): void {
    if (totals !== null) this.rtp = totals;
  }

  /** `count` messages by direction, method and status ('' for requests); also for those handled outside the SIP endpoint (the keepalive lane). */
  countSip(direction: 'in' | 'out', method: string, status: number | '', count: number): void {
    const key = `${direction}|${method}|${status}`;
    this.sipCounts.set(key, (this.sipCounts.get(key) ?? 0) + count);
  }

  onSipMessage(direction: 'in' | 'out', message: SipMessage): void {
    if (message.type === 'request') {
      this.countSip(direction, message.method, '', 1);
      return;
    }
    const cseq = message.headers.get('cseq') ?? '';
    const space = cseq.lastIndexOf(' ');
    this.countSip(direction, space >= 0 ? cseq.slice(space + 1).trim() : '', message.status, 1);
  }
}
