import type { Context } from 'koa';
import { AppError } from '../errors';

const LIMIT = 1024 * 1024;

/** Reads a JSON request body (at most 1 MiB); an empty body is {}. */
export async function readJson(ctx: Context): Promise<unknown> {
  const type = ctx.get('content-type');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMIT) throw new AppError('bad_request', 'request body larger than 1 MiB');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  if (!/json/i.test(type)) throw new AppError('bad_request', 'request body must be application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new AppError('bad_request', 'request body is not valid JSON');
  }
}
