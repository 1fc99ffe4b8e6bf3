import { join } from 'node:path';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { MediaNode, PlaybackControl } from '../../media/node/types';
import type { LiveStreams } from '../../sip/play/live-streams';
import type { IndexStore } from '../../storage/ports';
import { deviceControls } from './playback-controls';
import type { UpperOffer } from './upper-offer';

/** The stream a cascade session forwards, and how to steer and end it. */
export interface ForwardSource {
  kind: 'live' | 'platform-recording' | 'device-recording';
  streamId: string;
  /** Applies a playback plan (see controlsFor); live streams refuse. */
  control(controls: readonly PlaybackControl[]): Promise<void>;
  /** Hold back frames until the receiver is there (a platform playback starts paused). */
  hold(): Promise<void>;
  /** The receiver is there: go. */
  go(): Promise<void>;
  /** What this session took: a playback closes, a device session hangs up; a live stream is left to its idle rule. */
  release(): Promise<void>;
}

export interface ForwardSourceDeps {
  live: LiveStreams;
  media: MediaNode;
  index: IndexStore;
  footageRoot: string;
  retention: { hold(ids: readonly string[]): () => void };
  logger: Logger;
}

/** The download speed we play at when the upper asks none (a=downloadspeed), and the most the player does. */
const DEFAULT_DOWNLOAD_SPEED = 4;
const MAX_SPEED = 8;

/** The channel's live stream, started or joined; the forwarding is one more viewer of it. */
export async function liveSource(deps: ForwardSourceDeps, channelId: string): Promise<ForwardSource> {
  const view = await deps.live.play(channelId);
  return {
    kind: 'live',
    streamId: view.streamId,
    control: () => Promise.reject(new AppError('bad_request', 'a live stream has no playback control')),
    hold: () => Promise.resolve(),
    go: () => Promise.resolve(),
    release: () => Promise.resolve(),
  };
}

/**
 * Platform recordings of the range, played by the media node as a stream of their own that
 * stops at the range's end. Download plays faster than real time and keeps every frame.
 */
export async function platformRecordingSource(deps: ForwardSourceDeps, channelId: string, offer: UpperOffer, streamId: string): Promise<ForwardSource> {
  const segments = await deps.index.listRecordingSegments({ channelId, from: offer.start, to: offer.end, limit: 5000 });
  if (segments.length === 0) throw new AppError('not_found', `no platform recording of ${channelId} between ${new Date(offer.start).toISOString()} and ${new Date(offer.end).toISOString()}`);
  const releaseHold = deps.retention.hold(segments.map((s) => s.id));
  const download = offer.session === 'Download';
  const speed = download ? Math.min(MAX_SPEED, Math.max(1, offer.downloadSpeed ?? DEFAULT_DOWNLOAD_SPEED)) : 1;
  try {
    await deps.media.openPlayback({
      streamId,
      segments: segments.map((s) => ({ path: join(deps.footageRoot, s.path), start: s.start, end: s.end })),
      from: Math.max(offer.start, segments[0]?.start ?? offer.start),
      speed,
      until: offer.end,
      ...(download ? { keyframesOnlyAbove: MAX_SPEED } : {}),
    });
  } catch (err) {
    releaseHold();
    throw new AppError('unavailable', `the media node could not open the playback: ${(err as Error).message}`);
  }
  let released = false;
  return {
    kind: 'platform-recording',
    streamId,
    control: async (controls) => {
      for (const control of controls) await deps.media.controlPlayback(streamId, control);
    },
    hold: async () => {
      await deps.media.controlPlayback(streamId, { action: 'pause' });
    },
    go: async () => {
      await deps.media.controlPlayback(streamId, { action: 'resume' });
    },
    release: async () => {
      if (released) return;
      released = true;
      try {
        await deps.media.closeStream(streamId);
      } catch (err) {
        deps.logger.debug({ err, streamId }, 'closing a cascade playback failed');
      } finally {
        releaseHold();
      }
    },
  };
}

/** The device's own recordings (a Playback/Download INVITE to the device); MANSRTSP is passed on to it. */
export async function deviceRecordingSource(deps: ForwardSourceDeps, channelId: string, offer: UpperOffer): Promise<ForwardSource> {
  if (offer.session === 'Play') throw new AppError('internal', 'a device recording source needs a Playback or Download offer');
  const view = await deps.live.fromDevice(channelId, {
    session: offer.session,
    start: offer.start,
    end: offer.end,
    ...(offer.downloadSpeed !== null ? { downloadSpeed: offer.downloadSpeed } : {}),
  });
  let released = false;
  return {
    kind: 'device-recording',
    streamId: view.streamId,
    control: async (controls) => {
      for (const control of deviceControls(controls)) await deps.live.controlDevice(view.streamId, control);
    },
    hold: () => Promise.resolve(),
    go: () => Promise.resolve(),
    release: async () => {
      if (released) return;
      released = true;
      try {
        await deps.live.stop(view.streamId);
      } catch (err) {
        deps.logger.debug({ err, streamId: view.streamId }, 'ending a device playback failed');
      }
    },
  };
}
