import type { RecordingPlayer } from '../playback/recording-player';
import type { MediaSink } from '../source/types';

/**
 * Ends a playback at a recorded time (a cascade Playback's t= stop), which the player itself
 * does not know: a non-viewer sink that pauses the player once it has sent past `until`.
 * The player reports the position of the frame it last sent, so at most a frame or two past
 * `until` leave before the pause.
 */
export function playbackEndGuard(player: RecordingPlayer, until: number, onReached: () => void): MediaSink {
  let reached = false;
  return {
    kind: 'playback-end',
    start: () => undefined,
    tracksChanged: () => undefined,
    write: () => {
      if (player.position < until) return;
      player.pause();
      if (reached) return;
      reached = true;
      onReached();
    },
    pendingBytes: () => 0,
    end: () => undefined,
  };
}
