import { randomBytes, randomInt } from 'node:crypto';
import type { SocketType } from 'node:dgram';
import type { Logger } from '../../../logger';
import type { UrlTokenSigner } from '../../access/url-token';
import type { MediaSource } from '../../source/media-source';
import type { HandledRequest, RtspConnection } from './connection';
import type { RtspRequest } from './request';
import { rtspResponse, type RtspResponse } from './response';
import { RtpTrackSender } from './rtp-sender';
import { InterleavedTransport, UdpTransport, type RtpTransport } from './rtp-transport';
import type { RtspSession } from './session';
import { buildSdp, describeTracks, type SdpTrack } from './tracks';
import { parseTransportHeader, type TransportSpec } from './transport-header';
import { bindUdpPortPair, type UdpPortRange } from './udp-ports';
import { parseRtspUrl, streamUrl, trackUrl, type RtspTarget } from './url';

export const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER';

/** What the method handlers need from the server. */
export interface RtspServerContext {
  sources: { get(stream: string): MediaSource | undefined };
  tokens: UrlTokenSigner | null;
  logger: Logger;
  publicHost: string | undefined;
  udpPorts: UdpPortRange | undefined;
  sessionTimeoutSec: number;
  readyTimeoutMs: number;
  listenPort(): number;
  sessions: Map<string, RtspSession>;
  newSession(connection: RtspConnection, stream: string, source: MediaSource): RtspSession;
  /** Resolves once the source is ready, or after `ms`, or when the server closes. */
  waitUntilReady(source: MediaSource, ms: number): Promise<void>;
}

export async function handleRequest(ctx: RtspServerContext, conn: RtspConnection, req: RtspRequest): Promise<HandledRequest> {
  if (req.version !== 'RTSP/1.0') return done(rtspResponse(505));
  if (req.cseq < 0) return done(rtspResponse(400));
  const sessionHeader = req.headers.get('session');
  let session: RtspSession | undefined;
  if (sessionHeader !== undefined) {
    session = ctx.sessions.get(sessionHeader.split(';')[0]?.trim() ?? '');
    if (session === undefined && req.method !== 'OPTIONS') return done(rtspResponse(454));
    session?.touch();
  }
  switch (req.method) {
    case 'OPTIONS':
      return done(rtspResponse(200, [['Public', PUBLIC_METHODS]]));
    case 'DESCRIBE':
      return done(await describe(ctx, conn, req));
    case 'SETUP':
      return done(await setup(ctx, conn, req, session));
    case 'PLAY':
      return play(ctx, session);
    case 'PAUSE':
      return done(pause(ctx, session));
    case 'TEARDOWN':
      if (session === undefined) return done(rtspResponse(454));
      session.close('teardown');
      return done(rtspResponse(200, [['Session', session.id]]));
    case 'GET_PARAMETER':
      return done(rtspResponse(200, session === undefined ? [] : [['Session', sessionValue(ctx, session)]]));
    default:
      return done(rtspResponse(501, [['Public', PUBLIC_METHODS]]));
  }
}

function done(response: RtspResponse): HandledRequest {
  return { response };
}

/**
 * Finds the stream a request names and checks its token, unless an earlier DESCRIBE on this
 * connection or the request's session already proved access to that stream.
 */
function resolveStream(ctx: RtspServerContext, conn: RtspConnection, uri: string, session?: RtspSession): { target: RtspTarget; source: MediaSource } | RtspResponse {
  const target = parseRtspUrl(uri);
  if (target === null) return rtspResponse(/^rtsps?:\/\/|^\//i.test(uri) ? 404 : 400);
  if (ctx.tokens !== null && !conn.authorizedStreams.has(target.stream) && session?.stream !== target.stream) {
    const check = ctx.tokens.verify(target.stream, target.token);
    if (!check.ok) {
      ctx.logger.info({ stream: target.stream, reason: check.reason, remote: conn.socket.remoteAddress }, 'rtsp request refused: token');
      return rtspResponse(401);
    }
  }
  const source = ctx.sources.get(target.stream);
  if (source === undefined) return rtspResponse(404);
  return { target, source };
}

async function describe(ctx: RtspServerContext, conn: RtspConnection, req: RtspRequest): Promise<RtspResponse> {
  const found = resolveStream(ctx, conn, req.uri);
  if ('status' in found) return found;
  const { target, source } = found;
  if (!source.ready) await ctx.waitUntilReady(source, ctx.readyTimeoutMs);
  if (conn.closed) return rtspResponse(503);
  const tracks = describeTracks(source.currentTracks);
  if (!source.ready || tracks.length === 0) return rtspResponse(503);
  conn.authorizedStreams.add(target.stream);
  const origin = originOf(ctx, conn, target);
  const sdp = buildSdp(tracks, {
    sessionId: String(randomInt(1, 2 ** 47)),
    address: ctx.publicHost ?? localAddress(conn),
    name: target.stream,
    controlUrl: (t) => trackUrl(origin, target.stream, t.id, target.query),
  });
  return rtspResponse(200, [['Content-Type', 'application/sdp'], ['Content-Base', `${streamUrl(origin, target.stream, '')}/`]], sdp);
}

async function setup(ctx: RtspServerContext, conn: RtspConnection, req: RtspRequest, existing: RtspSession | undefined): Promise<RtspResponse> {
  const found = resolveStream(ctx, conn, req.uri, existing);
  if ('status' in found) return found;
  const { target, source } = found;
  if (existing !== undefined && (existing.stream !== target.stream || existing.owner !== conn)) return rtspResponse(459);
  if (existing !== undefined && existing.state !== 'ready') return rtspResponse(455);
  const tracks = describeTracks(source.currentTracks);
  const track = target.track === null ? (tracks.length === 1 ? tracks[0] : undefined) : tracks.find((t) => t.id === target.track);
  if (track === undefined) return rtspResponse(target.track === null && tracks.length > 1 ? 459 : 404);
  const spec = parseTransportHeader(req.headers.get('transport') ?? '').find((s) => !s.multicast && (s.lower === 'tcp' || s.clientPort !== undefined));
  if (spec === undefined) return rtspResponse(461);
  const session = existing ?? ctx.newSession(conn, target.stream, source);
  const transport = await openTransport(ctx, conn, session, spec, track);
  if (transport === null || session.isClosed()) {
    // The connection may have gone while the UDP ports were being bound.
    transport?.close();
    if (existing === undefined) session.close('setup-failed');
    return rtspResponse(transport === null ? 503 : 454);
  }
  const sender = new RtpTrackSender({ payloadType: track.payloadType, ssrc: randomInt(1, 2 ** 32 - 1), firstSequence: randomInt(0, 65536), channel: transport.rtpChannel });
  session.addTrack({ sdp: track, url: req.uri, sender, transport, base: randomInt(1, 2 ** 32 - 1), lastReportAt: -Infinity });
  const ssrc = sender.ssrc.toString(16).toUpperCase().padStart(8, '0');
  return rtspResponse(200, [
    ['Transport', `${transport.description};ssrc=${ssrc}`],
    ['Session', sessionValue(ctx, session)],
  ]);
}

async function openTransport(ctx: RtspServerContext, conn: RtspConnection, session: RtspSession, spec: TransportSpec, track: SdpTrack): Promise<RtpTransport | null> {
  if (spec.lower === 'tcp') {
    const [rtp, rtcp] = spec.interleaved ?? [track.id * 2, track.id * 2 + 1];
    return new InterleavedTransport(conn.socket, rtp, rtcp, spec.protocol);
  }
  const clientPorts = spec.clientPort;
  const remote = plainAddress(conn.socket.remoteAddress ?? '');
  if (clientPorts === undefined || remote === '') return null;
  const local = plainAddress(conn.socket.localAddress ?? '');
  const type: SocketType = local.includes(':') ? 'udp6' : 'udp4';
  const pair = await bindUdpPortPair(type, local, ctx.udpPorts);
  if (pair === null) {
    ctx.logger.warn({ session: session.id, range: ctx.udpPorts }, 'rtsp: no UDP port pair free');
    return null;
  }
  return new UdpTransport(pair, remote, clientPorts, spec.protocol, () => session.touch());
}

function play(ctx: RtspServerContext, session: RtspSession | undefined): HandledRequest {
  if (session === undefined) return done(rtspResponse(454));
  if (session.tracks.size === 0 || session.state === 'closed') return done(rtspResponse(455));
  const info = session.play();
  const response = rtspResponse(200, [
    ['Session', sessionValue(ctx, session)],
    ['Range', `npt=${info.npt.toFixed(3)}-`],
    ['RTP-Info', info.rtpInfo],
  ]);
  // The answer goes first: a client drops interleaved data that arrives before it.
  return { response, afterWrite: () => session.startSending() };
}

function pause(ctx: RtspServerContext, session: RtspSession | undefined): RtspResponse {
  if (session === undefined) return rtspResponse(454);
  if (session.state === 'ready' || session.state === 'closed') return rtspResponse(455);
  session.pause();
  return rtspResponse(200, [['Session', sessionValue(ctx, session)]]);
}

function sessionValue(ctx: RtspServerContext, session: RtspSession): string {
  return `${session.id};timeout=${ctx.sessionTimeoutSec}`;
}

/** The scheme and authority for our URLs: as the client wrote them, else our public or local address. */
function originOf(ctx: RtspServerContext, conn: RtspConnection, target: RtspTarget): string {
  if (target.origin !== null && target.origin.length > 'rtsp://'.length) return target.origin;
  const host = ctx.publicHost ?? localAddress(conn);
  return `rtsp://${host.includes(':') ? `[${host}]` : host}:${ctx.listenPort()}`;
}

function localAddress(conn: RtspConnection): string {
  return plainAddress(conn.socket.localAddress ?? '127.0.0.1') || '127.0.0.1';
}

/** '::ffff:1.2.3.4' (an IPv4 peer on a dual-stack socket) as '1.2.3.4'. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function newSessionId(): string {
  return randomBytes(8).toString('hex');
}
