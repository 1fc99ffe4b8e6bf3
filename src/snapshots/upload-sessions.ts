import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A picture a device uploaded into a session. */
export interface UploadedImage {
  data: Buffer;
  /** The device's name for it (file name or URL suffix, without extension), when it gave one. */
  fileId: string | null;
}

/** One device snapshot request waiting for its uploads and its UploadSnapShotFinished. */
export interface UploadSession {
  /** In the URL: the only credential an upload carries. */
  readonly token: string;
  /** SessionID of SnapShotConfig and UploadSnapShotFinished. */
  readonly sessionId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly expected: number;
  /** Called for every picture; its promise is awaited before the session reports done. */
  readonly onImage: (image: UploadedImage) => Promise<void>;
  /** Resolves when the device said it finished or every expected picture arrived. */
  readonly done: Promise<void>;
  received: number;
  finishedIds: string[] | null;
  inflight: Set<Promise<void>>;
  finish(): void;
}

/**
 * The device snapshot sessions of this node. A session lives from the SnapShotConfig until its
 * request ends; an upload names it by an unguessable token (32 random bytes) in the URL path.
 */
export class UploadSessions {
  private readonly byToken = new Map<string, UploadSession>();
  private readonly bySessionId = new Map<string, UploadSession>();

  open(args: { deviceId: string; channelId: string; expected: number; onImage: (image: UploadedImage) => Promise<void> }): UploadSession {
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const session: UploadSession = {
      token: randomBytes(32).toString('base64url'),
      sessionId: randomBytes(24).toString('hex'),
      deviceId: args.deviceId,
      channelId: args.channelId,
      expected: args.expected,
      onImage: args.onImage,
      done,
      received: 0,
      finishedIds: null,
      inflight: new Set(),
      finish: () => finish(),
    };
    this.byToken.set(session.token, session);
    this.bySessionId.set(session.sessionId, session);
    return session;
  }

  /** The session of an upload URL's token (compared in constant time against the candidate found by key). */
  byUploadToken(token: string): UploadSession | null {
    const session = this.byToken.get(token);
    if (session === undefined) return null;
    const a = Buffer.from(session.token);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b) ? session : null;
  }

  bySession(sessionId: string): UploadSession | null {
    return this.bySessionId.get(sessionId) ?? null;
  }

  /** Stores a picture in its session; the session is done once it holds all it expected. */
  accept(session: UploadSession, image: UploadedImage): Promise<void> {
    session.received++;
    const work = session.onImage(image).finally(() => session.inflight.delete(work));
    session.inflight.add(work);
    if (session.received >= session.expected) void work.then(() => session.finish(), () => session.finish());
    return work;
  }

  close(session: UploadSession): void {
    session.finish();
    if (this.byToken.get(session.token) === session) this.byToken.delete(session.token);
    if (this.bySessionId.get(session.sessionId) === session) this.bySessionId.delete(session.sessionId);
  }

  get size(): number {
    return this.byToken.size;
  }
}
