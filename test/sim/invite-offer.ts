/**
 * What a simulated camera makes of the platform's SDP offer (parsed with src/sip/sdp): where to
 * send, over which transport, with which payload type and SSRC (quirks included), and the SDP of
 * its answer (built with src/sip/sdp's buildGbSdpAnswer).
 */
import { buildGbSdpAnswer } from '../../src/sip/sdp';
import type { GbSdp } from '../../src/sip/sdp';
import type { SimQuirks, SimStreamTransport } from './types';

export interface AnswerPlan {
  transport: SimStreamTransport;
  /** The offer's c= and m= port. */
  remote: { host: string; port: number };
  payloadType: number;
  offeredSsrc: string | null;
  /** SSRC of the RTP packets and, zero-padded, the answer's y=. */
  ssrc: number;
  /** s=Playback / s=Download: the range of the offer's t= and, for Download, a=downloadspeed. */
  history?: HistoryPlan;
}

export interface HistoryPlan {
  session: 'playback' | 'download';
  /** t= as offered, Unix seconds (end > start). */
  start: number;
  end: number;
  /** a=downloadspeed (default 1); Download only. */
  downloadSpeed: number;
}

export type PlanResult = { ok: true; plan: AnswerPlan } | { ok: false; reason: string };

/**
 * s=Play, or s=Playback / s=Download with a t= range (end after start; u= is not checked), a video
 * m= line with a PS payload (or PT 96), and a c= address.
 */
export function planAnswer(sdp: GbSdp, quirks: SimQuirks): PlanResult {
  const history = historyOf(sdp);
  if (sdp.sessionName !== 'Play' && !history) return { ok: false, reason: `session ${sdp.sessionName} is not simulated (or has no t= range)` };
  const video = sdp.media.find((m) => m.kind === 'video');
  if (!video) return { ok: false, reason: 'no video m= line' };
  const host = video.connection ?? sdp.connection;
  if (host === null || host === '') return { ok: false, reason: 'no c= address' };
  const ps = video.payloads.find((p) => p.encoding?.toUpperCase() === 'PS') ?? video.payloads.find((p) => p.pt === 96 && p.encoding === null);
  if (!ps) return { ok: false, reason: 'no PS payload offered' };
  const transport: SimStreamTransport = video.transport === 'udp' ? 'udp' : video.setup === 'active' ? 'tcp-active' : 'tcp-passive';
  return {
    ok: true,
    plan: {
      transport,
      remote: { host, port: video.port },
      payloadType: ps.pt,
      offeredSsrc: sdp.ssrc,
      ssrc: answerSsrc(sdp.ssrcNumber, quirks),
      ...(history ? { history: { ...history, downloadSpeed: video.downloadSpeed ?? 1 } } : {}),
    },
  };
}

function historyOf(sdp: GbSdp): Omit<HistoryPlan, 'downloadSpeed'> | undefined {
  const session = sdp.sessionName === 'Playback' ? 'playback' : sdp.sessionName === 'Download' ? 'download' : undefined;
  if (!session || !(sdp.endTime > sdp.startTime)) return undefined;
  return { session, start: sdp.startTime, end: sdp.endTime };
}

function answerSsrc(offered: number | null, quirks: SimQuirks): number {
  if (quirks.fixedSsrc !== undefined) return quirks.fixedSsrc >>> 0;
  if (quirks.zeroSsrc) return 0;
  if (offered === null) return 100_000_000 + Math.floor(Math.random() * 900_000_000);
  if (quirks.ssrcDiffersFromOffer) return (offered + 1) % 2 ** 32;
  return offered;
}

/**
 * The 200 OK's SDP: the camera's own address and port, sendonly, y=, for TCP the opposite setup role;
 * for history the offer's s= and t=, and for Download a=filesize.
 */
export function answerSdp(plan: AnswerPlan, channelId: string, address: string, port: number, fileSize?: number): Buffer {
  const { history } = plan;
  return Buffer.from(
    buildGbSdpAnswer({
      sessionName: history ? (history.session === 'playback' ? 'Playback' : 'Download') : 'Play',
      ...(history ? { startTime: history.start, endTime: history.end } : {}),
      ...(history?.session === 'download' && fileSize !== undefined ? { fileSize } : {}),
      username: channelId,
      address,
      port,
      transport: plan.transport === 'udp' ? 'udp' : 'tcp',
      setup: plan.transport === 'tcp-active' ? 'passive' : 'active',
      payload: { pt: plan.payloadType, encoding: 'PS', clockRate: 90000 },
      ssrc: String(plan.ssrc),
    }),
  );
}
