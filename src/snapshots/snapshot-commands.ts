import { buildManscdp, child, childrenNamed, childText, elementText, type ManscdpDocument } from '../sip/manscdp';

/** SnapShotConfig (GB/T 28181-2022 A.2.1.24): how many pictures, how far apart, where to, under which session. */
export interface SnapShotConfig {
  /** 1-10. */
  snapNum: number;
  /** Seconds between pictures, at least 1. */
  interval: number;
  uploadUrl: string;
  /** 32-128 characters of letters, digits and '-'. */
  sessionId: string;
}

/** A session ID as A.2.1.24 allows it. */
export function isValidSessionId(s: string): boolean {
  return /^[A-Za-z0-9-]{32,128}$/.test(s);
}

/** Control DeviceConfig with SnapShotConfig (A.2.3.2.12) for `targetId` (the channel to take pictures of). */
export function buildSnapShotConfig(sn: number, targetId: string, config: SnapShotConfig): string {
  return buildManscdp('Control', 'DeviceConfig', sn, targetId, [
    {
      name: 'SnapShotConfig',
      children: [
        { name: 'SnapNum', text: String(config.snapNum) },
        { name: 'Interval', text: String(config.interval) },
        { name: 'UploadURL', text: config.uploadUrl },
        { name: 'SessionID', text: config.sessionId },
      ],
    },
  ]);
}

/** What a Response DeviceConfig says: Result OK or not (absent or unreadable counts as not OK). */
export function readDeviceConfigResult(doc: ManscdpDocument): { ok: boolean; result: string | null } {
  const result = childText(doc.element, 'Result')?.trim().toUpperCase() ?? null;
  return { ok: result === 'OK', result };
}

/** Notify UploadSnapShotFinished (A.2.5.7): the session and the IDs of the pictures the device uploaded. */
export interface UploadSnapShotFinished {
  deviceId: string | null;
  sessionId: string;
  fileIds: string[];
}

/** Reads an UploadSnapShotFinished notify; null when it is something else or has no SessionID. */
export function readUploadSnapShotFinished(doc: ManscdpDocument): UploadSnapShotFinished | null {
  if (doc.root !== 'Notify' || doc.cmdType.toLowerCase() !== 'uploadsnapshotfinished') return null;
  const sessionId = childText(doc.element, 'SessionID')?.trim() ?? '';
  if (sessionId === '') return null;
  const list = child(doc.element, 'SnapShotList');
  const fileIds = childrenNamed(list, 'SnapShotFileID')
    .map((el) => elementText(el))
    .filter((id): id is string => id !== null)
    .slice(0, 10);
  return { deviceId: doc.deviceId, sessionId, fileIds };
}
