import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The file type of a photo from its first bytes (JPEG or PNG), or null for anything else. */
export function photoType(bytes: Buffer): 'jpg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return null;
}

/** Door-event photos as files: <photoDir>/<YYYY-MM-DD UTC of the event>/<recordId>.<jpg|png>. */
export class PhotoFiles {
  constructor(readonly root: string) {}

  /** Writes the photo (temp file, then rename); returns its name relative to the root. */
  async write(recordId: string, time: number, bytes: Buffer): Promise<string> {
    const day = new Date(time).toISOString().slice(0, 10);
    const name = `${day}/${recordId}.${photoType(bytes) ?? 'bin'}`;
    const path = this.path(name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
    return name;
  }

  path(name: string): string {
    return join(this.root, name);
  }

  async remove(name: string): Promise<void> {
    await unlink(this.path(name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
