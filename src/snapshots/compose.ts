import { join } from 'node:path';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import type { DeviceMessenger } from '../sip/device/messenger';
import type { PendingQueries } from '../sip/device/pending-queries';
import type { IndexStore } from '../storage/ports';
import { createSnapshotStore } from './create-store';
import { SnapshotFiles } from './snapshot-files';
import { SnapshotService } from './snapshot-service';

/** The snapshot service with its store (beside the index) and folder (`<dataDir>/snapshots`), from the config. */
export async function createSnapshotService(
  config: Config,
  deps: {
    index: IndexStore;
    messenger: DeviceMessenger;
    pending: PendingQueries;
    playLive: (channelId: string) => Promise<{ streamId: string }>;
    streamUrl: (streamId: string) => string;
    uploadBase: () => string;
    logger: Logger;
  },
): Promise<SnapshotService> {
  const store = await createSnapshotStore(deps.index);
  await store.init();
  const c = config.snapshots;
  return new SnapshotService(
    { ...deps, store, files: new SnapshotFiles(join(config.dataDir, 'snapshots')) },
    {
      defaultMode: c.defaultMode,
      deviceTimeoutMs: c.deviceTimeoutMs,
      streamTimeoutMs: c.streamTimeoutMs,
      maxUploadBytes: c.maxUploadBytes,
      retentionDays: c.retentionDays,
      maxPerChannel: c.maxPerChannel,
      sweepIntervalSec: c.sweepIntervalSec,
      ffmpegPath: config.record.ffmpegPath,
    },
  );
}
