import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import { ExportJobs } from '../media/export/export-jobs';
import type { MediaNode } from '../media/node/types';
import type { LiveStreams } from '../sip/play/live-streams';
import type { IndexStore } from '../storage/ports';
import { ExportRecords } from './export-records';
import { PlaybackService } from './playback-service';
import { RecordingService } from './recording-service';
import { reindexFootage } from './reindex-footage';
import { RetentionSweeper } from './retention';

export interface FootageServices {
  footageRoot: string;
  recordings: RecordingService;
  retention: RetentionSweeper;
  playback: PlaybackService;
  exports: ExportJobs;
  /** Starts the plan passes and the retention timer (after the API is up). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything about footage, wired together: the footage folder reconciled with the index first
 * (a crash may have left torn or unindexed files), then recording plans, retention, playback and
 * exports. Segments that a playback or an export reads are held against retention.
 */
export async function createFootageServices(
  config: Config,
  deps: { index: IndexStore; live: LiveStreams; media: MediaNode; logger: Logger; onDeviceOnline(listener: (deviceId: string) => void): void },
): Promise<FootageServices> {
  const { index, live, media, logger } = deps;
  const footageRoot = config.record.footageDir ?? join(config.dataDir, 'footage');
  mkdirSync(footageRoot, { recursive: true });
  await reindexFootage(footageRoot, index, logger.child({ module: 'record' }));
  const recordings = new RecordingService(index, live, media, logger.child({ module: 'record' }), {
    footageRoot,
    segmentSeconds: config.record.segmentSeconds,
    timeZone: config.timezone,
    tickMs: config.record.planCheckSec * 1000,
  });
  const retention = new RetentionSweeper(index, logger.child({ module: 'retention' }), {
    footageRoot,
    defaultRetentionDays: config.record.retentionDays,
    maxBytes: config.record.maxBytes,
    minFreeBytes: config.record.minFreeBytes,
    intervalMs: config.record.sweepIntervalSec * 1000,
  });
  const playback = new PlaybackService(index, media, retention, logger.child({ module: 'playback' }), { footageRoot, spanMs: 24 * 3600 * 1000 });
  const exportHolds = new Map<string, () => void>();
  const exports = new ExportJobs({
    dataDir: config.dataDir,
    root: footageRoot,
    ffmpegPath: config.record.ffmpegPath,
    logger: logger.child({ module: 'export' }),
    findSegments: async (channelId, from, to, jobId) => {
      const segments = await index.listRecordingSegments({ channelId, from, to, limit: 5000 });
      exportHolds.set(jobId, retention.hold(segments.map((s) => s.id)));
      return segments;
    },
  });
  exports.on('change', (job) => {
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
      exportHolds.get(job.id)?.();
      exportHolds.delete(job.id);
    }
  });
  mkdirSync(join(config.dataDir, 'exports'), { recursive: true });
  const exportRecords = new ExportRecords(config.dataDir, logger.child({ module: 'export' }));
  exportRecords.attach(exports);
  return {
    footageRoot,
    recordings,
    retention,
    playback,
    exports,
    async start() {
      await recordings.start();
      // A second's grace: the device answers its catalog query first, then we INVITE.
      deps.onDeviceOnline((deviceId) => setTimeout(() => void recordings.deviceOnline(deviceId), 1000).unref());
      retention.start();
    },
    async close() {
      await exports.close();
      await exportRecords.flush();
      await retention.stop();
      await recordings.close();
    },
  };
}
