import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../../config';
import type { Logger } from '../../logger';
import { BroadcastClipStore } from '../../media/broadcast/clip-store';
import type { MediaPortPool } from '../../media/ports';
import type { DeviceMessenger } from '../device/messenger';
import type { PendingQueries } from '../device/pending-queries';
import type { SipEndpoint } from '../transaction';
import { BroadcastService } from './broadcast-service';

/** The broadcast service from the config: clips under `<dataDir>/broadcast/clips`, ports from the media range. */
export async function createBroadcastService(
  config: Config,
  deps: { endpoint: SipEndpoint; messenger: DeviceMessenger; pending: PendingQueries; ports: MediaPortPool; mediaAddress: string; leaseTtlMs: number; logger: Logger },
): Promise<BroadcastService> {
  const c = config.broadcast;
  const dir = join(config.dataDir, 'broadcast');
  const tmpDir = join(dir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const clips = new BroadcastClipStore(join(dir, 'clips'), { ttlMs: c.clipTtlSec * 1000, maxClips: c.maxClips });
  await clips.init();
  return new BroadcastService(
    { endpoint: deps.endpoint, messenger: deps.messenger, pending: deps.pending, ports: deps.ports, clips, logger: deps.logger },
    {
      sourceId: c.sourceId ?? config.sip.id,
      platformId: config.sip.id,
      mediaHost: config.media.host,
      mediaAddress: deps.mediaAddress,
      answerTimeoutMs: c.answerTimeoutMs,
      inviteTimeoutMs: c.inviteTimeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
      maxClipSeconds: c.maxClipSeconds,
      ffmpegPath: config.record.ffmpegPath,
      tmpDir,
      leaseRenewMs: Math.max(1000, Math.floor(deps.leaseTtlMs / 3)),
    },
  );
}
