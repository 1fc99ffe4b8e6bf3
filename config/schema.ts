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
      /** Kernel receive buffer asked for the UDP socket (bytes): registration storms arrive in bursts. */
      udpReceiveBufferBytes: z.number().int().min(65536).default(8 * 1024 * 1024),
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

  /** MongoDB connection string: selects the MongoDB index store instead of SQLite. */
  mongoUrl: z.string().url().optional(),
  /** Redis connection string: selects the Redis state store instead of in-process state. */
  redisUrl: z.string().url().optional(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
