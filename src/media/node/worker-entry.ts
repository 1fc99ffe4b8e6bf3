import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../logger';
import { LocalMediaNode } from './local-media-node';
import type { MediaNodeOptions } from './options';
import { MEDIA_NODE_EVENTS, type RpcCall, type WorkerToMain } from './worker-protocol';
import type { MediaNode, OpenForwardRequest, OpenPlaybackRequest, OpenStreamRequest, PlaybackControl, StartRecordingRequest } from './types';

// The media worker: a LocalMediaNode driven by messages from the main thread (WorkerMediaNode).

const port = parentPort;
if (port === null) throw new Error('worker-entry runs only as a worker thread');
const { options } = workerData as { options: MediaNodeOptions };
const logger = createLogger({ level: options.logLevel }).child({ module: 'media' });
const send = (msg: WorkerToMain): void => port.postMessage(msg);

function dispatch(node: MediaNode, call: RpcCall): Promise<unknown> {
  const a = call.args;
  switch (call.method) {
    case 'openStream':
      return node.openStream(a[0] as OpenStreamRequest);
    case 'setStreamSsrc':
      return node.setStreamSsrc(String(a[0]), Number(a[1]));
    case 'connectStream':
      return node.connectStream(String(a[0]), String(a[1]), Number(a[2]));
    case 'waitReady':
      return node.waitReady(String(a[0]), Number(a[1]));
    case 'closeStream':
      return node.closeStream(String(a[0]));
    case 'startRecording':
      return node.startRecording(a[0] as StartRecordingRequest);
    case 'stopRecording':
      return node.stopRecording(String(a[0]));
    case 'openPlayback':
      return node.openPlayback(a[0] as OpenPlaybackRequest);
    case 'controlPlayback':
      return node.controlPlayback(String(a[0]), a[1] as PlaybackControl);
    case 'listPlaybacks':
      return node.listPlaybacks();
    case 'listStreams':
      return node.listStreams();
    case 'rtpTotals':
      return node.rtpTotals();
    case 'openForward':
      return node.openForward(a[0] as OpenForwardRequest);
    case 'startForward':
      return node.startForward(String(a[0]));
    case 'stopForward':
      return node.stopForward(String(a[0]));
    case 'listForwards':
      return node.listForwards();
    case 'close':
      return node.close();
  }
}

try {
  const node = await LocalMediaNode.start(options, logger);
  for (const event of MEDIA_NODE_EVENTS) {
    node.on(event, (...args: unknown[]) => send({ type: 'event', event, args } as WorkerToMain));
  }
  port.on('message', (call: RpcCall) => {
    dispatch(node, call).then(
      (value) => send({ type: 'reply', id: call.id, ok: true, value }),
      (err: unknown) => {
        const e = err as { message?: string; code?: string };
        send({ type: 'reply', id: call.id, ok: false, message: e.message ?? String(err), ...(typeof e.code === 'string' ? { code: e.code } : {}) });
      },
    );
  });
  send({ type: 'started', httpPort: node.endpoints.httpPort, rtspPort: node.endpoints.rtspPort });
} catch (err) {
  logger.error({ err }, 'media node failed to start');
  send({ type: 'start-failed', message: (err as Error).message });
}
