import { SimDevice } from '../../sim/device';
import type { SimDeviceOptions } from '../../sim/types';
import { PLATFORM_DOMAIN, PLATFORM_ID, waitFor, type TestServer } from '../../helpers/server';

let seq = 0;

/**
 * A camera ID unique within this test process. The simulator derives channel IDs from digits
 * 14-17 of the device ID, so the serial steps there and ends in 000.
 */
export function cameraId(type = '132'): string {
  seq += 1;
  return `3402000000${type}${String(((process.pid % 400) * 20 + seq) % 10000).padStart(4, '0')}000`;
}

/** Small, cheap video: enough for players to recognise, light on CPU when several run. */
export const SMALL_MEDIA = { width: 640, height: 360, bitrateKbps: 600, clipSeconds: 4 } as const;

export function camera(server: TestServer, options: Partial<SimDeviceOptions> = {}): SimDevice {
  return new SimDevice({
    deviceId: options.deviceId ?? cameraId(),
    password: '12345678',
    server: { host: '127.0.0.1', port: server.sipPort, id: PLATFORM_ID, domain: PLATFORM_DOMAIN },
    transport: 'udp',
    kind: 'ipc',
    timers: { t1Ms: 100, maxTransmissions: 4 },
    media: SMALL_MEDIA,
    ...options,
  });
}

/** Registers the camera and waits until its catalog has been stored; returns its channel ID. */
export async function onlineCamera(server: TestServer, cam: SimDevice): Promise<string> {
  await cam.start();
  await cam.prepareMedia();
  const reg = await cam.register();
  if (reg.status !== 200) throw new Error(`register answered ${reg.status}`);
  const channelId = cam.channelIds[0] ?? cam.deviceId;
  await waitFor(async () => (await server.api(`/api/v1/channels/${channelId}`)).status === 200, 5000, `channel ${channelId} stored`);
  return channelId;
}

export interface LiveStreamBody {
  streamId: string;
  channelId: string;
  deviceId: string;
  state: string;
  transport: string;
  offeredSsrc: string;
  answeredSsrc: string | null;
  keepRunning: boolean;
  startedAt: number;
  viewers: number;
  media: null | {
    state: string;
    videoCodec: string | null;
    width: number | null;
    height: number | null;
    fps: number;
    bitrateKbps: number;
    packets: number;
    lost: number;
    viewers: number;
  };
  urls: { httpFlv: string; wsFlv: string; hls: string; rtsp: string; expiresAt: number | null };
}

export async function startLive(server: TestServer, channelId: string, body: Record<string, unknown> = {}): Promise<{ status: number; json: LiveStreamBody & { error?: { code: string; message: string } } }> {
  const res = await server.api(`/api/v1/channels/${channelId}/live`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as LiveStreamBody & { error?: { code: string; message: string } } };
}

export async function streamCount(server: TestServer): Promise<number> {
  const res = await server.api('/api/v1/streams');
  return ((await res.json()) as { total: number }).total;
}
