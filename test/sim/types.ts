/**
 * Options and results of the GB/T 28181 device simulator.
 *
 * The simulator is a peer of the platform, not a copy of it: it writes its SIP requests and
 * MANSCDP bodies as text templates (the way device firmware does) so that it does not share
 * the platform's serializer or XML builder bugs. Inbound messages are parsed with the
 * platform's SIP parser (src/sip/message) through ./sip.
 */

import type { SimRecording } from './recordings';
import type { SimBroadcastOptions } from './broadcast';

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

  // Live view (INVITE). Without these the device answers like a well-behaved camera: 100, 200 with y= = the
  // offered SSRC, RTP with that SSRC after the ACK.

  /** Answers y= with an SSRC of its own (the offered value + 1) and sends that SSRC in RTP. */
  ssrcDiffersFromOffer?: boolean;
  /** Answers y=0000000000 and sends SSRC 0 in every RTP packet (streams must be told apart by port). */
  zeroSsrc?: boolean;
  /** Answers y= with this vendor constant and sends it in RTP, whatever was offered (wins over the two above). */
  fixedSsrc?: number;
  /** Refuses every INVITE with this status after the 100 Trying (486 Busy Here, 488 Not Acceptable Here). */
  rejectInvite?: 486 | 488;
  /** Sends nothing at all in answer to an INVITE (not even 100 Trying), retransmissions included. */
  ignoreInvite?: boolean;
  /** Answers 200 and takes the ACK, then never sends a packet. */
  noMedia?: boolean;
  /** Stops sending media this many ms after the first packet, without a BYE (a camera that hangs). */
  stopMediaAfterMs?: number;
  /** Waits this long between the 100 Trying and the 200 OK. */
  answerDelayMs?: number;

  // Recordings on the device's disk (RecordInfo). Without these: at most 10 items per MESSAGE,
  // oldest first, times with a `T`.

  /** RecordInfo answers carry at most this many items per MESSAGE (SumNum is the total). Default 10. */
  recordInfoItemsPerMessage?: number;
  /** StartTime/EndTime with a space instead of the `T` ("2024-05-04 14:43:16"). */
  recordTimeWithSpace?: boolean;
  /** The answer's items out of order: newest first, dealt round-robin over the parts. */
  recordItemsOutOfOrder?: boolean;
  /** Sends only this many parts of a RecordInfo answer, then nothing more (a device that hangs mid-answer). */
  recordInfoStopAfterParts?: number;
  /** Answers 200 to a RecordInfo query and never sends the Response. */
  ignoreRecordInfo?: boolean;

  // Snapshots and voice broadcast (./snapshot, ./broadcast).

  /** Answers 200 to a SnapShotConfig and does nothing else (like a 2016 device, which also does this). */
  ignoreSnapshot?: boolean;
  /** Answers Notify Broadcast with Result ERROR. */
  refuseBroadcast?: boolean;
  /** Answers Notify Broadcast with Result OK and then never sends the INVITE. */
  broadcastNoInvite?: boolean;
}

/** The clip a device streams (made once per process and per settings by FFmpeg, then looped). */
export interface SimMediaOptions {
  /** Default 'h264'. */
  codec?: 'h264' | 'h265';
  /** Target video bitrate, kbit/s. Default 2000. */
  bitrateKbps?: number;
  /** Default 1280x720. */
  width?: number;
  height?: number;
  /** Length of the clip before it loops (timestamps keep growing), seconds; rounded up to whole GOPs. Default 4. */
  clipSeconds?: number;
  /** Key frame interval in frames (25 fps). Default 50 (2 s). */
  gopFrames?: number;
  /** G.711A audio (8 kHz, one 40 ms PS pack per video frame) in the program stream. Default false. */
  audio?: boolean;
  /** Largest RTP payload in bytes. Default 1400. */
  maxPayload?: number;
  /**
   * 'spread' (default): the packets of a frame are spaced evenly over the frame's 40 ms;
   * 'burst': all of them leave at the frame's time, as many cameras send key frames.
   */
  pacing?: 'spread' | 'burst';
}

/**
 * How the platform asked for media: 'udp'; 'tcp-passive' when its offer said a=setup:passive (it listens,
 * the device connects to the offer's c=/m=); 'tcp-active' when it said a=setup:active (the device listens on the
 * port of its answer and the platform connects).
 */
export type SimStreamTransport = 'udp' | 'tcp-passive' | 'tcp-active';

/** s=Play (live), s=Playback, s=Download. */
export type SimSessionKind = 'play' | 'playback' | 'download';

export type SimStreamEndReason =
  | 'bye-received'
  | 'bye-sent'
  | 'cancelled'
  | 'device-stopped'
  | 'no-ack'
  | 'connect-failed'
  | 'no-connection'
  | 'connection-closed';

/** One live stream of a device (a snapshot; counters keep growing while it sends). */
export interface SimStreamStats {
  callId: string;
  channelId: string;
  transport: SimStreamTransport;
  /** Where the media goes: the offer's c=/m= (UDP, TCP passive), the platform's end of the connection (TCP active). */
  remote: { host: string; port: number };
  /** The device's media port, as written in its answer's m= line. */
  localPort: number;
  /** y= of the offer as sent, null when absent. */
  offeredSsrc: string | null;
  /** y= of the answer, 10 digits. */
  answeredSsrc: string;
  /** SSRC of the RTP packets. */
  ssrc: number;
  codec: 'h264' | 'h265';
  /**
   * answering: INVITE taken, no ACK yet; sending: media flows (or waits for TCP, or is paused); silent: media
   * stopped by a quirk or a MANSRTSP TEARDOWN; complete: a Playback/Download range was sent in full (dialog still up).
   */
  state: 'answering' | 'sending' | 'silent' | 'complete' | 'ended';
  /** What the INVITE's s= asked for. */
  session: SimSessionKind;
  /** The offer's t= (Unix seconds); 0 and 0 for live view. */
  rangeStart: number;
  rangeEnd: number;
  /** History: position in the range (s) up to which media has been sent (rangeEnd - rangeStart once complete). Live: media time sent. */
  mediaSentSeconds: number;
  /** Pace in media seconds per second: 1 live, the MANSRTSP Scale for Playback, downloadspeed (max 8) then Scale for Download. */
  scale: number;
  /** A MANSRTSP PAUSE holds the stream. */
  paused: boolean;
  /** Methods of the MANSRTSP INFOs received in this dialog, in order (unparsable ones as 'INVALID'). */
  infoCommands: string[];
  /** The MediaStatus (NotifyType 121) MESSAGE went out for this stream. */
  mediaStatusSent: boolean;
  /** RTP packets and their bytes (12-byte header + payload; the TCP length prefix not counted). */
  packets: number;
  bytes: number;
  videoFrames: number;
  /** Times the clip wrapped around. */
  loops: number;
  /** Packets not sent because more than 4 MiB were queued on the TCP connection. */
  droppedPackets: number;
  sendErrors: number;
  /** Date.now() values. */
  invitedAt: number;
  firstPacketAt?: number;
  endedAt?: number;
  endReason?: SimStreamEndReason;
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
  /**
   * Files on the device's disk, per channel (a list applies to every channel). Default: one
   * 10-minute file per hour over the 24 hours before the device was created (see defaultRecordings).
   */
  recordings?: SimRecording[] | ((channelId: string) => SimRecording[]);
  /** What the device streams when INVITEd (defaults: H.264 1280x720, 2 Mbit/s, 25 fps, GOP 50, 4 s clip). */
  media?: SimMediaOptions;
  /** What the device asks for when it INVITEs a broadcast: codec (default PCMA) and transport (default udp). */
  broadcast?: SimBroadcastOptions;
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
