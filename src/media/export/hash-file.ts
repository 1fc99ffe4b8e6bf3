import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  /** Hex SHA-256 of the whole file. */
  sha256: string;
  bytes: number;
  /** The first MiB (or less), for reading a header without a second pass. */
  head: Buffer;
}

/** Reads the file once, hashing it. Rejects when it cannot be read. */
export async function hashFile(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let head: Buffer | null = null;
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    head ??= buf;
    bytes += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), bytes, head: head ?? Buffer.alloc(0) };
}
