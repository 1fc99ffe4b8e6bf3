/**
 * Options and results of the GB/T 28181 device simulator.
 *
 * The simulator is a peer of the platform, not a copy of it: it writes its SIP requests and
 * MANSCDP bodies as text templates (the way device firmware does) so that it does not share
 * the platform's serializer or XML builder bugs. Inbound messages are parsed with the
 * platform's SIP parser (src/sip/message) through ./sip.
 */

export type SimTransportKind = 'udp' | 'tcp';
export type SimDeviceKind = 'ipc' | 'nvr' | 'door';
export type SimCharset = 'GB2312' | 'GBK' | 'UTF-8';
export type SimGbVersion = '2016' | '2022';

export interface SimServer {
  host: string;
  port: number;
  /** Platform SIP server ID (20 digits). */
  id: string;
  /** SIP domain / realm, e.g. "3402000000". */
  domain: string;
}

/** Behaviours of real devices that a platform must survive (see /work/shared/reference/field-quirks.md). */
export interface SimQuirks {
  /** Answers a qop challenge with an RFC 2069 response (no qop/nc/cnonce), like old firmware. */
  noQop?: boolean;
  /** Splits catalog answers: SumNum = all channels, each MESSAGE carries at most this many items. */
  catalogItemsPerMessage?: number;
  /**
   * Every part of a split catalog carries the query's SN (Annex M; the Dahua NVR behaviour in the
   * field notes). This is the default: leaving it unset means true. Set it to `false` explicitly
   * for deviant firmware that numbers the parts SN, SN+1, SN+2, ...
   */
  reuseSnInSplitCatalog?: boolean;
  /** LF line endings in the SIP head and the body (some Dahua builds). Default: CRLF everywhere. */
  lfOnly?: boolean;
  /** startKeepalives() sends every 1.5 x keepaliveIntervalMs: late, yet inside a 3-miss allowance. */
  lateKeepalive?: boolean;
  /** Declares encoding="GB2312" but names contain GBK-only characters (坣, 喆) encoded as GBK. */
  wrongDeclaredCharset?: boolean;
  /** Via sent-by and Contact carry an unreachable private address (device behind NAT); only rport/source work. */
  contactGarbage?: boolean;
}

/** Retransmission and timeout knobs of the simulator's client transactions. */
export interface SimTimers {
  /** RFC 3261 T1; UDP retransmissions start here and double. Default 500 ms. */
  t1Ms?: number;
  /** Cap of the retransmission interval. Default 4000 ms. */
  t2Ms?: number;
  /** Total UDP transmissions of one request (first send included). Default 5. */
  maxTransmissions?: number;
  /** Time after the first send when the transaction gives up (408). Default: the UDP schedule's total. */
  timeoutMs?: number;
}

export interface SimDeviceOptions {
  /** 20-digit GB/T 28181 device ID. */
  deviceId: string;
  password: string;
  server: SimServer;
  transport: SimTransportKind;
  /** Local address to bind and to write in Via/Contact. Default 127.0.0.1. */
  localHost?: string;
  kind: SimDeviceKind;
  /** NVR channel count (default 4). IPC and door host always have one. */
  channels?: number;
  /** Channel names; default Chinese names such as 一号楼门口 (GB2312-encodable). */
  channelNames?: string[];
  /** Charset of MANSCDP bodies. Default GB2312. */
  charset?: SimCharset;
  /** Default 2022. */
  gbVersion?: SimGbVersion;
  /**
   * X-GB-Ver value sent on REGISTER (Annex I). Default "3.0" for 2022, "2.0" for 2016;
   * null sends no header (most 2016 firmware predates Annex I).
   */
  xGbVer?: string | null;
  quirks?: SimQuirks;
  /**
   * Catalog shaped like a lower platform's: `groups` business groups (215), each holding
   * `orgsPerGroup` virtual organisations (216); the channels are spread over the organisations.
   */
  organisation?: { groups: number; orgsPerGroup: number };
  /** Default 60000 ms. */
  keepaliveIntervalMs?: number;
  /** Expires of REGISTER. Default 3600 s. */
  registerExpires?: number;
  timers?: SimTimers;
  /** Keep every received message in `received` (default true; a fleet turns it off). */
  recordReceived?: boolean;
  /** User-Agent header value. */
  userAgent?: string;
}

/** Outcome of one client transaction (one request, its retransmissions and its final answer). */
export interface TransactionOutcome {
  /** Final status; 408 when no final response came in time, 0 when the transport failed. */
  status: number;
  timedOut: boolean;
  /** Milliseconds from the first send to the final response (or to the give-up). */
  latencyMs: number;
  transmissions: number;
  method: string;
}

export interface RegisterResult {
  /** Final status of the last REGISTER (200 on success, 401/403 on refusal, 408 on timeout). */
  status: number;
  timedOut: boolean;
  /** Milliseconds from the first REGISTER to the final answer of the last one. */
  latencyMs: number;
  /** Number of REGISTER transactions used (2 for the usual 401 + authorised retry). */
  transactions: number;
}

/** What the device did after answering a platform query. */
export interface AnswerRecord {
  cmdType: string;
  sn: string;
  /** Final status of each Response MESSAGE the device sent (one per catalog part). */
  statuses: number[];
}
