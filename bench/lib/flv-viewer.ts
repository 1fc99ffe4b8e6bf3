import { get, type IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';

export interface FlvViewer {
  bytes: number;
  /** Video tags that carry a picture (not sequence headers). */
  videoTags: number;
  /** performance.now() when the first picture arrived, 0 before. */
  firstVideoAt: number;
  close(): void;
}

/** An HTTP-FLV viewer that reads everything and counts video pictures as they pass. */
export function viewHttpFlv(url: string): FlvViewer {
  const viewer: FlvViewer = { bytes: 0, videoTags: 0, firstVideoAt: 0, close: () => undefined };
  const read = flvReader(viewer);
  const req = get(url, (res: IncomingMessage) => res.on('data', read));
  req.on('error', () => undefined);
  viewer.close = () => req.destroy();
  return viewer;
}

/** The same over WS-FLV: each message is the next piece of the FLV byte stream. */
export function viewWsFlv(url: string): FlvViewer {
  const viewer: FlvViewer = { bytes: 0, videoTags: 0, firstVideoAt: 0, close: () => undefined };
  const read = flvReader(viewer);
  const ws = new WebSocket(url);
  ws.on('message', (data: Buffer) => read(data));
  ws.on('error', () => undefined);
  viewer.close = () => ws.terminate();
  return viewer;
}

/** Counts the bytes and pictures of an FLV byte stream fed in pieces cut anywhere. */
function flvReader(viewer: FlvViewer): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let headerDone = false;
  return (chunk) => {
    viewer.bytes += chunk.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    if (!headerDone) {
      if (pending.length < 13) return;
      at = 13;
      headerDone = true;
    }
    while (at + 11 <= pending.length) {
      const size = pending.readUIntBE(at + 1, 3);
      if (at + 11 + size + 4 > pending.length) break;
      if (pending[at] === 9 && size > 5 && isPicture(pending[at + 11] ?? 0, pending[at + 12] ?? 0)) {
        viewer.videoTags++;
        if (viewer.firstVideoAt === 0) viewer.firstVideoAt = performance.now();
      }
      at += 11 + size + 4;
    }
    pending = pending.subarray(at);
  };
}

/** Legacy tags: AVCPacketType 1; enhanced FLV (ex-header bit): CodedFrames or CodedFramesX. */
function isPicture(b0: number, b1: number): boolean {
  if (b0 & 0x80) return (b0 & 0x0f) === 1 || (b0 & 0x0f) === 3;
  return b1 === 1;
}
