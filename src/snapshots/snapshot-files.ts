import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** A new snapshot ID: time first (sorts by creation), then randomness. */
export function newSnapshotId(now: number): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export const SNAPSHOT_ID = /^[a-z0-9]{6,12}-[0-9a-f]{12}$/;

/** `<channelId>/<YYYY-MM-DD UTC>/<id>.jpg`, relative to the snapshots folder. */
export function snapshotPath(channelId: string, id: string, time: number): string {
  return join(channelId, new Date(time).toISOString().slice(0, 10), `${id}.jpg`);
}

/** Files of the snapshots folder; paths in the index are relative to it and never leave it. */
export class SnapshotFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  absolute(path: string): string {
    const abs = resolve(this.root, path);
    if (!abs.startsWith(this.root + sep)) throw new Error(`snapshot path outside the snapshots folder: ${path}`);
    return abs;
  }

  /** Written to a part file and renamed, so a reader never sees half a picture. */
  async write(path: string, data: Buffer): Promise<void> {
    const abs = this.absolute(path);
    await mkdir(dirname(abs), { recursive: true });
    const part = `${abs}.part`;
    await writeFile(part, data);
    await rename(part, abs);
  }

  async remove(path: string): Promise<void> {
    await rm(this.absolute(path), { force: true });
  }
}
