import { z } from 'zod';

/**
 * Every option of gbvms, with its default and why it exists. The environment variable that
 * overrides each option is named in config/env.ts; README.md lists both.
 */

const gbId = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID');
const port = z.number().int().min(0).max(65535);

export const configSchema = z.object({
  /** Name of this node in logs and in the state store (multi-node deployments). */
  nodeId: z.string().min(1).default('gbvms-1'),
  /** Folder for the SQLite index and, later, footage. Created at start. */
  dataDir: z.string().min(1).default('./data'),
  /** Time zone of the times GB/T 28181 carries in XML, SDP and the REGISTER 200 OK Date header. */
  timezone: z.string().min(1).default('Asia/Shanghai'),
  log: z
    .object({
      /** pino level: fatal, error, warn, info, debug, trace or silent. */
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),

  sip: z
    .object({
      /** The platform's own 20-digit SIP server ID (type 200). */
      id: gbId.default('34020000002000000001'),
      /** SIP domain; defaults to the first 10 digits of the ID, as the standard suggests. */
      domain: z.string().min(1).optional(),
      /** Digest realm offered to devices; defaults to the domain. */
      realm: z.string().min(1).optional(),
      /** Address to bind SIP (UDP and TCP) to. */
      host: z.string().min(1).default('0.0.0.0'),
      /** Address written into Via/Contact/SDP; defaults to the first non-internal IPv4 (127.0.0.1 if none). */
      advertisedHost: z.string().min(1).optional(),
      /** Port for SIP over both UDP and TCP. */
      port: port.default(5060),
      /** Default device password (used for devices without their own password). */
      password: z.string().min(1).default('12345678'),
      /** Devices not yet in the index may register with the default password and are enrolled. Off for closed deployments. */
      autoEnroll: z.boolean().default(true),
      /** Device IDs refused at REGISTER. */
      denyList: z.array(gbId).default([]),
      /** Registration expiry bounds in seconds: shorter asks get 423, longer ones are capped. */
      minExpiresSec: z.number().int().min(1).default(60),
      maxExpiresSec: z.number().int().min(60).default(86400),
      /** How long a digest nonce stays valid; older ones are answered with stale=true. */
      nonceTtlSec: z.number().int().min(10).default(300),
      /** Secret that signs nonces; nodes sharing devices must share it. Random per process when unset. */
      nonceSecret: z.string().min(16).optional(),
      /** Offer qop=auth in challenges (devices that cannot do it may still answer without qop). */
      digestQop: z.boolean().default(true),
      /** Failed digest answers from one source address within the window before it is refused with 403. */
      authFailureLimit: z.number().int().min(1).default(5),
      authFailureWindowSec: z.number().int().min(1).default(60),
      /** How long a source that passed the failure limit stays refused. */
      authBlockSec: z.number().int().min(1).default(300),
      /** Largest SIP message accepted (bytes); bigger ones are refused. */
      maxMessageBytes: z.number().int().min(1024).max(1048576).default(65535),
      /** RFC 3261 T1 (ms); transaction timeout is 64*T1 unless set. */
      t1Ms: z.number().int().min(10).default(500),
      transactionTimeoutMs: z.number().int().min(100).optional(),
      /**
       * REGISTERs waiting for the signaling thread at most; in a storm further ones are dropped
       * unread (devices retransmit) so that keepalives and other requests are never queued behind them.
       */
      registerQueueMax: z.number().int().min(1).default(2000),
      /** REGISTERs started per event-loop turn: smaller keeps other requests' latency lower under a storm. */
      registerPerTurn: z.number().int().min(1).max(1000).default(4),
      /** Kernel receive buffer asked for the UDP socket (bytes): registration storms arrive in bursts. */
      udpReceiveBufferBytes: z.number().int().min(65536).default(8 * 1024 * 1024),
      /**
       * Read SIP UDP with the native addon (native/sip-udp), which answers plain keepalives of
       * devices already online on a thread of its own (ADR 0021). Without the addon built, or with
       * false, Node.js reads the socket and JavaScript answers every keepalive.
       */
      nativeUdp: z.boolean().default(true),
      userAgent: z.string().default('gbvms'),
    })
    .prefault({}),

  keepalive: z
    .object({
      /** Expected keepalive period of devices (seconds); 60 in the standard's default. */
      intervalSec: z.number().int().min(1).default(60),
      /** Missed periods before a device is marked offline. */
      timeoutCount: z.number().int().min(1).default(3),
      /** How often the liveness sweep runs (ms). */
      sweepIntervalMs: z.number().int().min(50).default(1000),
    })
    .prefault({}),

  catalog: z
    .object({
      /** Query a device's catalog after it registers (not on refreshes). */
      queryOnRegister: z.boolean().default(true),
      /** Time to collect every MESSAGE of a split catalog answer (ms). */
      timeoutMs: z.number().int().min(100).default(15000),
      /** Catalog queries in flight at once (a registration storm must not flood the devices' side). */
      concurrency: z.number().int().min(1).default(64),
      /** Time to wait for DeviceInfo/DeviceStatus answers (ms). */
      queryTimeoutMs: z.number().int().min(100).default(10000),
    })
    .prefault({}),

  http: z
    .object({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(18080),
      /** Bearer token for /api/v1; generated and written to <dataDir>/api-token when unset. */
      apiToken: z.string().min(8).optional(),
    })
    .prefault({}),

  media: z
    .object({
      /** Address the RTP receivers, the media HTTP server (FLV/HLS) and the RTSP server bind. */
      host: z.string().min(1).default('0.0.0.0'),
      /** Address written in the SDP c= line of our INVITEs (where devices send RTP); default: the SIP advertised address. */
      advertisedHost: z.string().min(1).optional(),
      /** Host written in playback URLs; default: the host the API request came to. */
      publicHost: z.string().min(1).optional(),
      /** RTP receive ports (even ones are used), leased per stream. */
      rtpPortMin: port.default(30000),
      rtpPortMax: port.default(30999),
      /** HTTP-FLV, WS-FLV and HLS. */
      httpPort: port.default(18081),
      rtspPort: port.default(18554),
      /** Run RTP, demux and outputs in a worker thread (true) or on the main thread (debugging only). */
      worker: z.boolean().default(true),
      udpReceiveBufferBytes: z.number().int().min(65536).default(4 * 1024 * 1024),
      /**
       * Read RTP over UDP and TCP passive with the native addon (native/rtp-recv): one thread
       * drains every stream's socket and hands JavaScript a batch every `nativeBatchMs`, a frame's
       * packets as one run (ADR 0022). Falls back to Node.js, with a log line, when the addon is
       * not built.
       */
      nativeRtp: z.boolean().default(true),
      /** The native reader's pause between batches: latency added to live video against CPU saved. */
      nativeBatchMs: z.number().int().min(0).max(200).default(20),
      /**
       * HTTP-FLV viewers of a plain H.264 stream (over UDP: one without loss) are served by the
       * native reader's thread (ADR 0024); JavaScript then demuxes the stream only while another
       * consumer (HLS, RTSP, WS-FLV, recording, cascade) needs it. Needs `nativeRtp`.
       */
      nativeFlvRelay: z.boolean().default(true),
      /** Which SSRC a receive port accepts: the first one seen, only the answered one, or any. */
      ssrcPolicy: z.enum(['first', 'expected', 'any']).default('first'),
    })
    .superRefine((m, ctx) => {
      if (m.rtpPortMin > m.rtpPortMax) ctx.addIssue({ code: 'custom', path: ['rtpPortMin'], message: 'must not be above media.rtpPortMax' });
    })
    .prefault({}),

  live: z
    .object({
      /** Transport asked of devices when the request names none (TCP passive: UDP loses packets under load). */
      transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).default('tcp-passive'),
      /** How long a device may take to answer the INVITE. */
      inviteTimeoutMs: z.number().int().min(500).default(10000),
      /** How long after the answer the first key frame may take before the start counts as failed. */
      readyTimeoutMs: z.number().int().min(500).default(8000),
      /** Seconds a stream runs on without viewers before it is stopped (unless marked keep running). */
      idleStopSec: z.number().int().min(0).default(30),
      /** Seconds without RTP before a stream is torn down. */
      rtpTimeoutSec: z.number().int().min(1).default(10),
      /** Lifetime of the token in playback URLs. */
      urlTokenTtlSec: z.number().int().min(10).default(3600),
      /** Secret that signs playback URLs; default derived from the API token (set it when nodes share URLs). */
      urlSecret: z.string().min(16).optional(),
      /** Playback URLs must carry a valid token. */
      requireToken: z.boolean().default(true),
    })
    .prefault({}),

  record: z
    .object({
      /** Footage root; default <dataDir>/footage. Layout: <channelId>/<YYYY-MM-DD UTC>/<channelId>_<startMs>.ts */
      footageDir: z.string().min(1).optional(),
      /** A segment is cut at the first key frame after this many seconds. */
      segmentSeconds: z.number().int().min(5).max(3600).default(60),
      /** Days footage is kept when the channel's plan sets none. */
      retentionDays: z.number().int().min(1).default(30),
      /** Footage above this many bytes is deleted oldest first (0: no quota). */
      maxBytes: z.number().int().min(0).default(0),
      /** Oldest footage is deleted while the footage disk has less free space than this (0: no check). */
      minFreeBytes: z.number().int().min(0).default(2 * 1024 * 1024 * 1024),
      /** How often retention runs. */
      sweepIntervalSec: z.number().int().min(1).default(60),
      /** FFmpeg for exports (remux, no re-encode): a path, or a name found on PATH. */
      ffmpegPath: z.string().min(1).default('ffmpeg'),
      /** How often recording plans are compared with what runs (start, stop, invite again). */
      planCheckSec: z.number().int().min(1).default(10),
    })
    .prefault({}),

  /** District operations: buildings, online-rate accounting, fault tickets, door-entry records, watchlist. */
  operations: z
    .object({
      /**
       * Bearer token of the investigator role: every API route, plus unmasked personal identifiers
       * in door records and alerts (each such read is written to the audit log). Unset: nobody sees them unmasked.
       */
      privilegedToken: z.string().min(16).optional(),
      /** Fault tickets for devices offline longer than the grace time (ADR 0015). */
      faults: z
        .object({
          enabled: z.boolean().default(true),
          /** A device offline this long opens a ticket; devices of one building/line going offline within it are one outage. */
          graceSec: z.number().int().min(0).default(300),
          /** Deadline to acknowledge a ticket. */
          responseMinutes: z.number().int().min(1).default(30),
          /** Repair deadline of a single-device (front-end) fault. */
          frontEndRepairHours: z.number().positive().default(4),
          /** Repair deadline of a network fault (whole building or line). */
          networkRepairHours: z.number().positive().default(4),
          /** Repair deadline of a network fault where the building or line has no spare fibre. */
          noSpareFibreRepairHours: z.number().positive().default(24),
          /** How often due tickets and deadlines are checked. */
          sweepIntervalSec: z.number().int().min(1).default(5),
        })
        .prefault({}),
      /** Door-entry records from door hosts (GB28181 alarms) and vendor gateways (REST ingest). */
      doors: z
        .object({
          /** Bearer token accepted for POST /api/v1/door-events only (vendor gateways); the API token works too. */
          ingestToken: z.string().min(16).optional(),
          /** Footage linked to a record: from this many seconds before it... */
          footageBeforeSec: z.number().int().min(0).max(3600).default(10),
          /** ...to this many seconds after it. */
          footageAfterSec: z.number().int().min(0).max(3600).default(20),
          /** Days records (and their photos) are kept. */
          retentionDays: z.number().int().min(1).default(180),
          /** How often expired records are deleted. */
          sweepIntervalSec: z.number().int().min(1).default(3600),
          /** Folder of door-event photos; default <dataDir>/door-photos. */
          photoDir: z.string().min(1).optional(),
          /** Remote opening command: 'aux-switch' (PTZCmd auxiliary switch on, A.3.7) or 'door-cmd' (vendor <DoorCmd>Open</DoorCmd>). */
          openCommand: z.enum(['aux-switch', 'door-cmd']).default('aux-switch'),
          /** Time to wait for the door host's DeviceControl Response. */
          openTimeoutMs: z.number().int().min(100).default(5000),
        })
        .prefault({}),
      /**
       * Monthly rent per building set, cut when the set's online rate is below the threshold.
       * due = max(floor, price − deduction) × the share of the month the building was not removed;
       * deduction = (threshold − rate) in percentage points × deductionPerPoint (percent of the
       * price, or yuan, per deductionUnit). See docs/decisions/0014-online-rate-accounting.md.
       */
      settlement: z
        .object({
          /** Rent of one building set (a door-entry host and its cameras) per month, in yuan. */
          pricePerSet: z.number().min(0).default(350),
          /** Online rate (0-1) at or above which the full rent is due. */
          threshold: z.number().min(0).max(1).default(0.93),
          /** Deducted per percentage point below the threshold (fractions of a point count pro rata). */
          deductionPerPoint: z.number().min(0).default(5),
          /** 'percent': deductionPerPoint is a percent of the price; 'yuan': an amount in yuan. */
          deductionUnit: z.enum(['percent', 'yuan']).default('percent'),
          /** The least rent a set earns in a month, in yuan, however low its rate. */
          floor: z.number().min(0).default(0),
        })
        .prefault({}),
      /** Watchlist of person/card identifiers matched against every door record. */
      watchlist: z
        .object({
          /** Hand every alert to the cascade (sent upward as a GB28181 Alarm) when a cascade is configured. */
          forwardUpward: z.boolean().default(true),
        })
        .prefault({}),
    })
    .prefault({}),

  /** Cascade: gbvms as a lower platform of upper platforms (ADR 0016). Uppers live in the index store (/api/v1/uppers). */
  cascade: z
    .object({
      /** First retry after a failed registration (ms); doubles per failure up to retryMaxMs. */
      retryMinMs: z.number().int().min(10).default(2000),
      retryMaxMs: z.number().int().min(10).default(120000),
      /** Longest wait for an upper's answer to one request (ms). */
      requestTimeoutMs: z.number().int().min(100).default(10000),
      /** Upper platforms added at start when not stored yet (changes made through the API are kept). */
      uppers: z.array(z.lazy(() => upperSeedSchema)).default([]),
      /** One more upper, from the GBVMS_UPPER_* variables. */
      upper: z.lazy(() => upperSeedSchema).optional(),
    })
    .prefault({}),

  events: z
    .object({
      /** Recent platform events kept in memory for SSE clients that reconnect with Last-Event-ID. */
      ringSize: z.number().int().min(10).max(100000).default(1000),
      /** Seconds between heartbeat comments on an SSE stream (keeps proxies from closing it). */
      sseHeartbeatSec: z.number().int().min(1).max(300).default(15),
      /** Delivery attempts per event and webhook, the first included. */
      webhookAttempts: z.number().int().min(1).max(20).default(5),
      /** Wait before the second attempt (ms); doubles each time (1 s, 2 s, 4 s ...). */
      webhookBackoffMs: z.number().int().min(10).default(1000),
      /** Longest wait between two attempts (ms). */
      webhookMaxBackoffMs: z.number().int().min(10).default(60000),
      /** Time a receiver has to answer one POST (ms). */
      webhookTimeoutMs: z.number().int().min(100).default(5000),
      /** Events waiting per webhook; beyond it the oldest is dropped (a dead receiver must not eat memory). */
      webhookQueueLimit: z.number().int().min(1).default(1000),
      /** Expires asked in alarm/catalog/position SUBSCRIBEs (s); refreshed before it runs out. */
      subscriptionExpiresSec: z.number().int().min(10).max(86400).default(3600),
      /** Wait before a failed or device-ended subscription is asked again (s). */
      subscriptionRetrySec: z.number().int().min(1).default(60),
      /** Seconds between reports asked in a MobilePosition subscription. */
      mobilePositionIntervalSec: z.number().int().min(1).default(5),
      /** Subscribe to every device's catalog changes when it comes online. */
      subscribeCatalogOnRegister: z.boolean().default(false),
      /** Subscribe to every device's alarms when it comes online (devices that send alarms only to subscribers). */
      subscribeAlarmOnRegister: z.boolean().default(false),
      /** Days alarms and positions are kept (0: forever). */
      retentionDays: z.number().int().min(0).default(90),
    })
    .superRefine((e, ctx) => {
      if (e.webhookBackoffMs > e.webhookMaxBackoffMs) ctx.addIssue({ code: 'custom', path: ['webhookBackoffMs'], message: 'must not be above events.webhookMaxBackoffMs' });
    })
    .prefault({}),

  /** Pictures of channels: from the device (GB/T 28181-2022 snapshot command) or from the live stream (FFmpeg). */
  snapshots: z
    .object({
      /** Default source when a request names none: auto = the device unless it is a 2016 one or fails, then the stream. */
      defaultMode: z.enum(['auto', 'device', 'stream']).default('auto'),
      /** Time for the device's answer to the snapshot command, and after it for its uploads (plus count × interval). */
      deviceTimeoutMs: z.number().int().min(500).default(8000),
      /** Time FFmpeg gets for one frame once the live stream plays. */
      streamTimeoutMs: z.number().int().min(1000).default(15000),
      /** Largest upload (one HTTP request) a device may send. */
      maxUploadBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
      /** Base of the upload URL given to devices; default http://<SIP advertised host>:<API port>. */
      uploadBaseUrl: z.string().url().optional(),
      /** Days pictures are kept. */
      retentionDays: z.number().int().min(1).default(30),
      /** Newest pictures kept per channel (0: no limit). */
      maxPerChannel: z.number().int().min(0).default(1000),
      /** How often old pictures are deleted. */
      sweepIntervalSec: z.number().int().min(1).default(3600),
    })
    .prefault({}),

  /** Voice broadcast (GB/T 28181 9.12.1): audio files sent to a device's audio output as G.711 over RTP. */
  broadcast: z
    .object({
      /** Our audio source ID in Notify Broadcast (devices INVITE it); default the platform's SIP ID. */
      sourceId: gbId.optional(),
      /** Time for the device's Response to Notify Broadcast. */
      answerTimeoutMs: z.number().int().min(500).default(5000),
      /** Time after that for the device's INVITE. */
      inviteTimeoutMs: z.number().int().min(500).default(10000),
      /** Time for the ACK of our answer and for the TCP media connection. */
      connectTimeoutMs: z.number().int().min(500).default(10000),
      /** Longer audio is cut to this. */
      maxClipSeconds: z.number().int().min(1).max(3600).default(300),
      /** Largest audio file accepted in a request. */
      maxUploadBytes: z.number().int().min(1024).default(20 * 1024 * 1024),
      /** Converted clips are kept this long for another broadcast by clip ID. */
      clipTtlSec: z.number().int().min(60).default(86400),
      /** At most this many clips are kept (newest first). */
      maxClips: z.number().int().min(1).default(100),
    })
    .prefault({}),

  /** MongoDB connection string: selects the MongoDB index store instead of SQLite. */
  mongoUrl: z.string().url().optional(),
  /** Redis connection string: selects the Redis state store instead of in-process state. */
  redisUrl: z.string().url().optional(),
});

/** An upper platform seeded from the configuration (fields as in POST /api/v1/uppers; `shares`: IDs of channels, organisation nodes, devices). */
const upperSeedSchema = z.object({
  upperId: gbId,
  host: z.string().min(1),
  port: port.default(5060),
  domain: z.string().min(1).optional(),
  name: z.string().max(128).optional(),
  transport: z.enum(['udp', 'tcp']).default('udp'),
  password: z.string().min(1).optional(),
  localId: gbId.optional(),
  registerExpiresSec: z.number().int().min(2).max(86400).default(3600),
  keepaliveIntervalSec: z.number().int().min(1).max(3600).default(60),
  keepaliveTimeoutCount: z.number().int().min(1).max(100).default(3),
  charset: z.enum(['GB2312', 'UTF-8']).default('GB2312'),
  catalogItemsPerMessage: z.number().int().min(1).max(500).default(10),
  idMode: z.enum(['own', 'mapped']).default('own'),
  recordSource: z.enum(['platform', 'device']).default('platform'),
  enabled: z.boolean().default(true),
  shares: z.array(z.string().regex(/^\d{2,20}$/)).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
