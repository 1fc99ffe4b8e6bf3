/**
 * The GB/T 28181-2022 snapshot on the simulated device: Control DeviceConfig with SnapShotConfig
 * → 200 (sent by the device) → Response DeviceConfig Result OK → SnapNum JPEGs, Interval seconds
 * apart, each uploaded by HTTP POST to UploadURL → Notify UploadSnapShotFinished with the
 * SessionID and the file IDs (table 4 names). A 2016 device, or the ignoreSnapshot quirk, answers
 * the 200 and nothing else. The picture is a testsrc2 frame made by FFmpeg at the media size.
 */
import { spawnSync } from 'node:child_process';
import type { SipRequest } from './sip';
import type { TransactionResult } from './transactions';
import type { SimQuirks } from './types';

export interface SimSnapshotHost {
  deviceId: string;
  quirks: SimQuirks;
  gbVersion: '2016' | '2022';
  eol: '\r\n' | '\n';
  /** Picture size (the camera's resolution). */
  width: number;
  height: number;
  sendMessage(body: Buffer): Promise<TransactionResult>;
}

export interface SimSnapshotRecord {
  sessionId: string;
  uploadUrl: string;
  snapNum: number;
  /** HTTP status of each upload. */
  uploadStatuses: number[];
  fileIds: string[];
  /** Status of the UploadSnapShotFinished MESSAGE. */
  finishedStatus?: number;
}

const jpegs = new Map<string, Buffer>();

/** A JPEG of the given size (FFmpeg testsrc2, made once per size and process). */
export function simJpeg(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  const cached = jpegs.get(key);
  if (cached) return cached;
  const out = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${key}:rate=1`, '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'], { maxBuffer: 16 << 20 });
  if (out.status !== 0 || out.stdout.length === 0) throw new Error(`ffmpeg could not make a JPEG: ${out.stderr.toString()}`);
  jpegs.set(key, out.stdout);
  return out.stdout;
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`, 'i').exec(text)?.[1];
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

export class SimSnapshots {
  readonly records: SimSnapshotRecord[] = [];
  private sn = 800000;
  private stopped = false;

  constructor(private readonly host: SimSnapshotHost) {}

  /** A MESSAGE the device already answered 200: true when it was a SnapShotConfig (handled, or ignored on purpose). */
  onMessage(message: SipRequest): boolean {
    const text = message.body.toString('latin1');
    if (!/<Control\b/.test(text) || field(text, 'CmdType') !== 'DeviceConfig' || !/<SnapShotConfig\b/i.test(text)) return false;
    if (this.host.gbVersion === '2016' || this.host.quirks.ignoreSnapshot) return true;
    const record: SimSnapshotRecord = {
      sessionId: field(text, 'SessionID') ?? '',
      uploadUrl: (field(text, 'UploadURL') ?? '').replace(/&amp;/g, '&'),
      snapNum: Math.min(10, Math.max(1, Number(field(text, 'SnapNum') ?? '1') || 1)),
      uploadStatuses: [],
      fileIds: [],
    };
    this.records.push(record);
    void this.run(record, field(text, 'SN') ?? '0', field(text, 'DeviceID') ?? this.host.deviceId, Math.max(1, Number(field(text, 'Interval') ?? '1') || 1));
    return true;
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(record: SimSnapshotRecord, sn: string, targetId: string, intervalSec: number): Promise<void> {
    await this.host.sendMessage(this.body('Response', [['CmdType', 'DeviceConfig'], ['SN', sn], ['DeviceID', targetId], ['Result', 'OK']]));
    const jpeg = simJpeg(this.host.width, this.host.height);
    for (let i = 0; i < record.snapNum && !this.stopped; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, intervalSec * 1000));
      const fileId = `${targetId}02${stamp(new Date())}${String(i + 1).padStart(2, '0')}`;
      // Odd pictures go as a form (as many cameras post them), even ones as the raw body with the name in the URL.
      const status = i % 2 === 0 ? await this.postRaw(`${record.uploadUrl}/${fileId}.jpg`, jpeg) : await this.postForm(record.uploadUrl, fileId, jpeg);
      record.uploadStatuses.push(status);
      if (status === 200) record.fileIds.push(fileId);
    }
    if (this.stopped) return;
    this.sn++;
    const finished = this.body('Notify', [['CmdType', 'UploadSnapShotFinished'], ['SN', String(this.sn)], ['DeviceID', targetId], ['SessionID', record.sessionId]], record.fileIds);
    record.finishedStatus = (await this.host.sendMessage(finished)).status;
  }

  private async postRaw(url: string, jpeg: Buffer): Promise<number> {
    try {
      return (await fetch(url, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg })).status;
    } catch {
      return 0;
    }
  }

  private async postForm(url: string, fileId: string, jpeg: Buffer): Promise<number> {
    const form = new FormData();
    form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), `${fileId}.jpg`);
    try {
      return (await fetch(url, { method: 'POST', body: form })).status;
    } catch {
      return 0;
    }
  }

  private body(root: string, fields: Array<[string, string]>, fileIds?: string[]): Buffer {
    const lines = ['<?xml version="1.0" encoding="GB2312"?>', `<${root}>`, ...fields.map(([k, v]) => `<${k}>${v}</${k}>`)];
    if (fileIds !== undefined) lines.push('<SnapShotList>', ...fileIds.map((id) => `<SnapShotFileID>${id}</SnapShotFileID>`), '</SnapShotList>');
    lines.push(`</${root}>`, '');
    return Buffer.from(lines.join(this.host.eol), 'latin1');
  }
}
