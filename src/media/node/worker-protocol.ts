import type { MediaNodeEvents } from './types';

/** Methods of MediaNode a worker serves, by name. */
export type MediaNodeMethod =
  | 'openStream'
  | 'setStreamSsrc'
  | 'connectStream'
  | 'waitReady'
  | 'closeStream'
  | 'startRecording'
  | 'stopRecording'
  | 'openPlayback'
  | 'controlPlayback'
  | 'listPlaybacks'
  | 'listStreams'
  | 'rtpTotals'
  | 'openForward'
  | 'startForward'
  | 'stopForward'
  | 'listForwards'
  | 'close';

export interface RpcCall {
  type: 'call';
  id: number;
  method: MediaNodeMethod;
  args: unknown[];
}

export type RpcReply = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; message: string; code?: string };

export type RpcEvent = { [E in keyof MediaNodeEvents]: { type: 'event'; event: E; args: MediaNodeEvents[E] } }[keyof MediaNodeEvents];

export interface RpcStarted {
  type: 'started';
  httpPort: number;
  rtspPort: number;
}

export interface RpcStartFailed {
  type: 'start-failed';
  message: string;
}

export type WorkerToMain = RpcReply | RpcEvent | RpcStarted | RpcStartFailed;

/** Events the worker forwards ('failed' is raised by the main-thread proxy itself). */
export const MEDIA_NODE_EVENTS: ReadonlyArray<keyof MediaNodeEvents> = [
  'ready',
  'viewers',
  'closed',
  'segment',
  'recording-failed',
  'forward-ended',
  'playback-ended',
];
