import { promises as fsp } from 'node:fs';

/** The few file operations the recorder needs; a seam so tests can make the disk fill up. */
export interface RecordFile {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface RecordFs {
  mkdir(path: string): Promise<void>;
  /** Creates a new file for writing; fails with EEXIST when it exists. */
  create(path: string): Promise<RecordFile>;
  exists(path: string): Promise<boolean>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeRecordFs: RecordFs = {
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  create: (path) => fsp.open(path, 'wx'),
  exists: async (path) => {
    try {
      await fsp.lstat(path);
      return true;
    } catch {
      return false;
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
};

/** Writes all of `buffers`, continuing after a short write. */
export async function writeAll(file: RecordFile, buffers: Buffer[]): Promise<number> {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = (await file.writev(buffers)).bytesWritten;
  if (written < total) {
    const rest = Buffer.concat(buffers).subarray(written);
    for (let done = 0; done < rest.length; ) {
      const n = (await file.writev([rest.subarray(done)])).bytesWritten;
      if (n <= 0) throw new Error('short write');
      done += n;
    }
    written = total;
  }
  return written;
}
